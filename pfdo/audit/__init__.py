"""Append-only action history and the personal-data access log."""
