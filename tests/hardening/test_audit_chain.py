"""The audit trail is a per-clinic hash chain: `slotwise audit verify` passes on what the API wrote
and fails on any row altered, removed or slipped in directly in the database. On PostgreSQL the
application's role cannot UPDATE or DELETE audit rows at all."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.audit import chain
from api.cli import main as cli_main
from api.config import Settings, get_settings
from api.main import create_app
from api.models import Clinic as ClinicRow
from api.models.base import UTCDateTime
from tests.api.booking.conftest import Clinic, book
from tests.conftest import make_world


def _history(client: TestClient, clinic: Clinic) -> list[str]:
    """Book, edit, reschedule and cancel: several audit rows on one appointment."""
    ids = []
    for hour in (9, 11, 15):
        created = book(client, clinic, startTime=clinic.iso(hour), notes=f"at {hour} — ünï ✓")
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    moved = client.post(
        f"/api/booking/appointments/{ids[0]}/reschedule",
        json={"startTime": clinic.iso(12)},
        headers={**clinic.headers(), "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    gone = client.delete(
        f"/api/booking/appointments/{ids[1]}",
        params={"reason": "patient is ill'; DROP TABLE audit_log; --"},
        headers=clinic.headers(),
    )
    assert gone.status_code == 200, gone.text
    return ids


def _verify(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        code = cli_main(["audit", "verify", *args])
    finally:
        get_settings.cache_clear()
    return code, capsys.readouterr().out


def test_verify_passes_on_what_the_api_wrote(
    client: TestClient,
    clinic: Clinic,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _history(client, clinic)
    code, out = _verify(settings, monkeypatch, capsys)
    assert code == 0, out
    assert f"ok      clinic {clinic.world.clinic.id}: 5 rows" in out


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_log SET reason = 'nothing to see' WHERE id = :id", "content was changed"),
        ("UPDATE audit_log SET actor_id = 'someone-else' WHERE id = :id", "content was changed"),
        (
            "UPDATE audit_log SET at = at + interval '1 second' WHERE id = :id",
            "content was changed",
        ),
        ("DELETE FROM audit_log WHERE id = :id", "does not follow the previous row"),
    ],
    ids=["reason", "actor", "time", "deleted"],
)
def test_verify_detects_a_row_tampered_with_directly(
    client: TestClient,
    clinic: Clinic,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tamper: str,
    problem: str,
) -> None:
    _history(client, clinic)
    ids = list(db.scalars(sa.text("SELECT id FROM audit_log ORDER BY id")))
    victim = ids[2]
    if db.get_bind().dialect.name == "sqlite":
        tamper = tamper.replace("at + interval '1 second'", "datetime(at, '+1 second')")
    db.execute(sa.text(tamper), {"id": victim})
    db.commit()
    code, out = _verify(settings, monkeypatch, capsys)
    assert code == 1
    # A deleted row is noticed at the row that followed it.
    broken = ids[3] if tamper.startswith("DELETE") else victim
    assert f"BROKEN  clinic {clinic.world.clinic.id}: row {broken} " in out
    assert problem in out


def test_an_anchor_kept_elsewhere_catches_rows_cut_off_the_end(
    client: TestClient,
    clinic: Clinic,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _history(client, clinic)
    code, out = _verify(settings, monkeypatch, capsys)
    head = out.split("head ")[1].split()[0]
    assert code == 0 and len(head) == 64
    # More history after the anchor was taken: the anchor is still inside the chain.
    assert book(client, clinic, startTime=clinic.iso(16)).status_code == 201
    code, out = _verify(settings, monkeypatch, capsys, "--anchor", head)
    assert code == 0, out
    assert "MISSING" not in out
    # Cutting the last two rows leaves a valid, shorter chain: only the anchor notices.
    last_two = list(db.scalars(sa.text("SELECT id FROM audit_log ORDER BY id DESC LIMIT 2")))
    db.execute(
        sa.text("DELETE FROM audit_log WHERE id IN (:a, :b)"),
        dict(zip("ab", last_two, strict=True)),
    )
    db.commit()
    code, out = _verify(settings, monkeypatch, capsys)
    assert code == 0 and f"clinic {clinic.world.clinic.id}: 4 rows" in out
    code, out = _verify(settings, monkeypatch, capsys, "--anchor", head)
    assert code == 1
    assert f"MISSING anchor {head}: no unbroken chain reaches it any more" in out


def test_verify_detects_a_json_field_edit_and_a_forged_row(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    _history(client, clinic)
    row = db.execute(sa.text("SELECT id, after FROM audit_log ORDER BY id LIMIT 1")).one()
    after = row.after if isinstance(row.after, dict) else json.loads(row.after)
    after["notes"] = "edited"
    db.execute(
        sa.text("UPDATE audit_log SET after = :after WHERE id = :id"),
        {"after": json.dumps(after), "id": row.id},
    )
    db.commit()
    [report] = chain.verify(db)
    assert (report.broken_at, report.problem) == (
        row.id,
        "its content was changed after it was written",
    )


def test_each_clinic_has_its_own_chain(
    client: TestClient, clinic: Clinic, db: Session, settings: Settings
) -> None:
    _history(client, clinic)
    rival = make_world(db, settings, "Rival Clinic")
    db.execute(sa.text("DELETE FROM audit_log WHERE clinic_id = :c"), {"c": rival.clinic.id})
    db.commit()
    reports = {r.clinic_id: r for r in chain.verify(db)}
    assert reports[clinic.world.clinic.id].ok
    assert reports[clinic.world.clinic.id].rows == 5


def test_application_role_cannot_update_or_delete_audit_rows(
    settings: Settings, clinic: Clinic, db: Session, database_url_backend: str
) -> None:
    if database_url_backend != "postgres":
        pytest.skip("roles and grants are PostgreSQL's; SQLite has no users")
    login = f"slotwise_web_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN IN ROLE slotwise_app")
    app_url = make_url(settings.database_url).set(username=login).render_as_string(False)
    app = create_app(settings.model_copy(update={"database_url": app_url}))
    try:
        # Everything the API does works as the application role...
        with TestClient(app) as as_app:
            assert book(as_app, clinic).status_code == 201
        # ...but history cannot be rewritten or erased through it.
        with app.state.db.engine.connect() as conn:
            for statement in (
                "UPDATE audit_log SET reason = 'x'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
            ):
                with pytest.raises(sa.exc.ProgrammingError) as denied:
                    conn.exec_driver_sql(statement)
                assert denied.value.orig.sqlstate == "42501"  # type: ignore[union-attr]
                conn.rollback()
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() == 1
    finally:
        app.state.db.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE {login}")
        admin.dispose()


def test_migration_chains_rows_written_before_the_chain_existed(
    database_url_backend: str, tmp_path: Path
) -> None:
    from api.migrate import upgrade
    from tests.conftest import POSTGRES_URL

    admin = None
    if database_url_backend == "postgres":
        name = f"slotwise_mig_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    try:
        upgrade(url, "0004")
        engine = sa.create_engine(url)
        old_audit = sa.table(
            "audit_log",
            *(sa.column(c) for c in ("clinic_id", "entity_type", "entity_id", "action")),
            sa.column("actor_id"),
            sa.column("at", UTCDateTime()),
            sa.column("after", sa.JSON()),
        )
        with engine.begin() as conn:
            conn.execute(sa.insert(ClinicRow).values(id="c1", name="Old", time_zone="UTC"))
            for i in range(3):
                conn.execute(
                    sa.insert(old_audit).values(
                        clinic_id="c1",
                        entity_type="appointment",
                        entity_id=f"a{i}",
                        action="create",
                        actor_id="u1",
                        at=datetime(2026, 1, 1, 9, 0, 0, 123456 + i, tzinfo=UTC),
                        after={"notes": "é ✓ '; --", "n": i},
                    )
                )
        engine.dispose()
        upgrade(url)
        engine = sa.create_engine(url)
        with Session(engine) as session:
            [report] = chain.verify(session)
        engine.dispose()
        assert (report.ok, report.rows) == (True, 3)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
