"""Accounts and the organisation: login and sessions, users and units, settings."""
