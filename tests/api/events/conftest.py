"""The configured booking clinic, for the live-channel tests too."""

from tests.api.booking.conftest import clinic  # noqa: F401  (the configured clinic)
