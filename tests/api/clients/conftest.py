"""Fixtures of the machine-client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.config import get_settings


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    """`slotwise` commands run in the test against the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
