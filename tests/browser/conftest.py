"""The configured booking clinic, for browser tests too."""

from tests.api.booking.conftest import clinic  # noqa: F401
