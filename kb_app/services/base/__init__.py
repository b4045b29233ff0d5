"""Shared by the sub-domains: timeline, outbox, change counter, step limits, access log, prepared queries, PDF primitives."""
