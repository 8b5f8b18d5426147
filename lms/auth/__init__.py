"""Accounts, login sessions, API tokens, login throttling and the permission decision."""
