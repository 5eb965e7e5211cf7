"""Shared fixtures: a real, migrated database per test on SQLite and (when configured) PostgreSQL.

Migrations run once per session into a template (a file for SQLite, a template database for
PostgreSQL); each test then gets its own copy, so tests are isolated and still fast. A
PostgreSQL copy is emptied after its test and handed to the next one
(tests/support/pg_databases.py): the same empty, migrated database without paying for a new one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.auth.passwords import hash_password
from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from api.db import Database
from api.main import create_app
from api.migrate import upgrade
from api.models import Clinic, Patient, Provider, User
from tests.support.pg_databases import DatabasePool

pytest_plugins = ["tests.browser_support"]

POSTGRES_URL = os.environ.get("SLOTWISE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url_backend") == "postgres":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"slotwise_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    upgrade(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@dataclass
class DemoTemplates:
    """The demo clinic, loaded once per session and backend into a template that tests marked
    `demo_clinic` start from; loaded again if the clinic's date changes during the run, since
    its bookings are laid out from today."""

    directory: Path
    sqlite_template: Path
    postgres: DatabasePool | None
    built: dict[tuple[str, date], str] = field(default_factory=dict)

    def get(self, backend: str) -> str:
        from api.demo import TIME_ZONE, load_demo

        key = (backend, datetime.now(ZoneInfo(TIME_ZONE)).date())
        if key not in self.built:
            if backend == "sqlite":
                target = self.directory / f"demo-{key[1].isoformat()}.db"
                shutil.copyfile(self.sqlite_template, target)
                name, url = str(target), f"sqlite:///{target}"
            else:
                assert self.postgres is not None
                name = self.postgres.create(self.postgres.template)
                url = self.postgres.url(name)
            database = Database(url)
            with database.write() as session:
                load_demo(session, key[1])
                session.commit()
            database.dispose()
            self.built[key] = name
        return self.built[key]

    def drop(self) -> None:
        if self.postgres is not None:
            for (backend, _), name in self.built.items():
                if backend == "postgres":
                    self.postgres.drop(name)


@pytest.fixture(scope="session")
def demo_templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoTemplates]:
    pool = request.getfixturevalue("postgres_databases") if POSTGRES_URL else None
    templates = DemoTemplates(
        tmp_path_factory.mktemp("demo"), request.getfixturevalue("sqlite_template"), pool
    )
    yield templates
    templates.drop()


@pytest.fixture(scope="session")
def postgres_databases(postgres_template: str) -> Iterator[DatabasePool]:
    pool = DatabasePool(POSTGRES_URL, postgres_template)
    yield pool
    pool.close()


# For a browser test that checks nothing a database decides (a screenshot, a page walk, the
# headers a page is served with): SQLite only. What such a page reads and writes goes through
# the API, whose tests run on both databases; a browser session costs seconds either way.
sqlite_only = pytest.mark.parametrize("database_url_backend", ["sqlite"], indirect=True)


@pytest.fixture(params=BACKENDS)
def database_url_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    database_url_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    demo = (
        request.getfixturevalue("demo_templates").get(database_url_backend)
        if request.node.get_closest_marker("demo_clinic")
        else None
    )
    if database_url_backend == "sqlite":
        template = Path(demo) if demo else request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    pool: DatabasePool = request.getfixturevalue("postgres_databases")
    name = pool.acquire(demo)
    try:
        yield pool.url(name)
    finally:
        pool.release(name)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        SLOTWISE_JWT_SECRET="test-secret-" + uuid.uuid4().hex,
        SLOTWISE_SECRET_FILE=tmp_path / "secret",
    )


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def db(app) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A session on the test database, for arranging data and checking what the API wrote."""
    with app.state.db.read() as session:
        yield session


@dataclass
class ClinicWorld:
    """One clinic with a user of every role, a provider and a patient."""

    clinic: Clinic
    users: dict[str, User]
    provider: Provider
    patient: Patient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


PASSWORD = "correct horse battery"
# Argon2 is deliberately slow; hash once for every test user rather than per user per test.
PASSWORD_HASH = hash_password(PASSWORD)


def make_world(session: Session, settings: Settings, name: str) -> ClinicWorld:
    clinic = Clinic(name=name, time_zone="Europe/London", min_lead_time_minutes=120)
    session.add(clinic)
    session.flush()
    provider = Provider(clinic_id=clinic.id, name=f"Dr {name}")
    patient = Patient(
        clinic_id=clinic.id, first_name="Pat", last_name=name, date_of_birth=date(2010, 5, 1)
    )
    session.add_all([provider, patient])
    session.flush()
    users = {}
    slug = name.lower().replace(" ", "-")
    for role in ("admin", "frontdesk", "provider", "patient"):
        users[role] = User(
            clinic_id=clinic.id,
            email=f"{role}@{slug}.example",
            password_hash=PASSWORD_HASH,
            role=role,
            provider_id=provider.id if role == "provider" else None,
            patient_id=patient.id if role == "patient" else None,
        )
    session.add_all(users.values())
    session.commit()
    world = ClinicWorld(clinic=clinic, users=users, provider=provider, patient=patient)
    for role, user in users.items():
        world.tokens[role] = issue_token(
            settings,
            TokenClaims(user.id, clinic.id, role, user.patient_id, user.provider_id),
        )
    return world


@pytest.fixture
def world(db: Session, settings: Settings) -> ClinicWorld:
    return make_world(db, settings, "Smile Clinic")


@pytest.fixture
def other_world(db: Session, settings: Settings) -> ClinicWorld:
    return make_world(db, settings, "Rival Clinic")


@pytest.fixture
def frozen_clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    """The wall clock stopped at now; `frozen_clock.shift(seconds)` moves it on.

    Rate-limit windows are wall-clock time: a test that sends a limit's worth of requests must
    not find the first ones leaving the window because the machine was slow.
    """
    time_machine.move_to(datetime.now(UTC), tick=False)
    return time_machine
