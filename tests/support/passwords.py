"""Argon2 at its cheapest for tests that sign in hundreds of times (sign-in limits)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from api.auth import passwords
from tests.conftest import PASSWORD, ClinicWorld

_CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def cheap_hash(password: str) -> str:
    return _CHEAP.hash(password)


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch, db: Session, world: ClinicWorld) -> None:
    """The world's users and the unknown-user dummy get cheap Argon2 hashes.

    Verification reads its cost from the stored hash, so a hundred failed sign-ins then take
    a second instead of a minute on a busy machine; what the limits count is unchanged.
    """
    monkeypatch.setattr(passwords, "_DUMMY_HASH", _CHEAP.hash("not-a-real-password"))
    for user in world.users.values():
        user.password_hash = _CHEAP.hash(PASSWORD)
    db.commit()
