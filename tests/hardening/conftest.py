"""The configured booking clinic from the booking API tests, shared with the hardening tests."""

from tests.api.booking.conftest import clinic

__all__ = ["clinic"]
