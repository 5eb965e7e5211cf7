"""The access log (api/core/access_log.py) under the logging set-up `slotwise serve` applies
(api/core/logs.py): one line per request, JSON an aggregator parses, or text a person reads."""

from __future__ import annotations

import json
import logging
import logging.config
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.core import logs
from tests.api.booking.conftest import Clinic, book, clinic  # noqa: F401  (fixture)

ConfigureLogs = Callable[[logs.LogFormat], None]


@pytest.fixture
def configure_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[ConfigureLogs]:
    """Applies the server's log config (writing to the captured stderr), undone afterwards."""
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "slotwise.access")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).__dict__.copy() for n in names})

    def apply(fmt: logs.LogFormat) -> None:
        logging.config.dictConfig(logs.log_config(fmt))
        capsys.readouterr()  # start from an empty capture

    yield apply
    handlers, level, loggers = saved
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, state in loggers.items():
        logging.getLogger(name).__dict__.update(state)


def access_lines(err: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    return [line for line in lines if line.get("logger") == "slotwise.access"]


def test_one_json_line_per_request_with_its_route_status_duration_clinic_and_id(
    client: TestClient,
    clinic: Clinic,  # noqa: F811
    configure_logs: ConfigureLogs,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logs("json")
    patient_id = clinic.patients[0].id
    resp = client.get(
        f"/api/patients/{patient_id}?token=not-for-logs",
        headers={**clinic.headers(), "X-Request-ID": "req-42"},
    )
    assert resp.status_code == 200
    booked = book(client, clinic)
    assert booked.status_code == 201
    err = capsys.readouterr().err

    # Every line the server wrote is JSON; exactly one access line per request.
    first, second = access_lines(err)
    assert first["route"] == "/api/patients/{patient_id}"
    assert first["path"] == f"/api/patients/{patient_id}"
    assert first["method"] == "GET" and first["status"] == 200
    assert first["request_id"] == "req-42"
    assert first["clinic_id"] == clinic.world.clinic.id
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert first["level"] == "INFO" and first["timestamp"].endswith("+00:00")
    assert first["pid"] == os.getpid()
    # A booking is replayed by the retry middleware on a serialization failure; still one line.
    assert second["route"] == "/api/booking/appointments"
    assert second["method"] == "POST" and second["status"] == 201
    assert second["request_id"] == booked.headers["X-Request-ID"]
    assert second["clinic_id"] == clinic.world.clinic.id
    # The query string, where a token may travel, is in no access line.
    assert "not-for-logs" not in json.dumps([first, second])


def test_a_request_outside_any_clinic_is_logged_without_one(
    client: TestClient, configure_logs: ConfigureLogs, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logs("json")
    assert client.get("/no/such/page").status_code == 404
    (line,) = access_lines(capsys.readouterr().err)
    assert line["route"] == "unmatched" and line["status"] == 404
    assert line["clinic_id"] is None and len(line["request_id"]) == 32


def test_text_lines_for_a_person_in_the_demo(
    client: TestClient,
    clinic: Clinic,  # noqa: F811
    configure_logs: ConfigureLogs,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logs("text")
    patient_id = clinic.patients[0].id
    assert client.get(
        f"/api/patients/{patient_id}", headers={**clinic.headers(), "X-Request-ID": "req-7"}
    ).is_success
    (line,) = [ln for ln in capsys.readouterr().err.splitlines() if "slotwise.access" in ln]
    assert f"INFO    slotwise.access: GET /api/patients/{patient_id} 200 " in line
    assert f" ms clinic={clinic.world.clinic.id} id=req-7" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
