"""One case: load under the policy, steps, delegation, invitations, audit, the case file."""
