"""API token format and hashing (shared by the service that issues and the look-up)."""

import hashlib
import secrets

TOKEN_PREFIX = "pfdo_"  # noqa: S105 (a public marker, not a secret)


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
