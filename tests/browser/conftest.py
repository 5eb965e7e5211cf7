"""The configured booking clinic, for browser tests too, and a real server in front of it."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.api.booking.conftest import Clinic, clinic  # noqa: F401
from tests.support.server import running_server


@pytest.fixture
def site(app: FastAPI, clinic: Clinic) -> Iterator[str]:  # noqa: F811
    with running_server(app) as base:
        yield base
