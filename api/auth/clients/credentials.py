"""Client secrets: random, shown once, stored as argon2 hashes like passwords."""

from __future__ import annotations

import secrets

from api.auth.passwords import hash_password, verify_password

SECRET_PREFIX = "sws_"


def new_secret() -> tuple[str, str]:
    """A fresh secret and its hash; only the hash is kept."""
    # 256 random bits: a secret nobody types, so no length or strength rules apply.
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, hash_password(secret)


def secret_matches(secret: str, secret_hash: str | None) -> bool:
    # verify_password costs a hash even when there is no client, so timing tells no ids apart.
    return verify_password(secret, secret_hash)
