from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.api.schedule_templates.support import Setup, make_setup
from tests.conftest import ClinicWorld


@pytest.fixture
def setup(db: Session, world: ClinicWorld) -> Setup:
    return make_setup(db, world)
