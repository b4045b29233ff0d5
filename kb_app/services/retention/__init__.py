"""Retention: the gallring of closed cases (issue 16.3)."""
