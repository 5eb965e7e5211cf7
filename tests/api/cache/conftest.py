from tests.api.booking.conftest import Clinic, clinic  # noqa: F401  (fixture re-export)
from tests.api.portal.conftest import portal  # noqa: F401  (fixture re-export)
from tests.support.smtp import smtp  # noqa: F401  (fixture re-export)
