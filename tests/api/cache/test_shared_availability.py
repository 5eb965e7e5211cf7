"""The availability cache shared by every worker through Redis (api/core/cache.py): one worker's
answer serves the others, and a time just booked, held or blocked is offered by none of them.

Two app instances with their own engines, pools and in-process caches stand for two workers (or
two servers) sharing one Redis; the writes go through a third, so neither worker saw them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.booking import availability as engine_availability
from api.booking import cached_availability
from api.config import Settings
from api.main import create_app
from api.models import Chair, Provider
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal

REDIS_URL = "redis://127.0.0.1:6379/0"
SLOTS = "/api/patient-portal/available-slots"


@pytest.fixture
def workers(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("SLOTWISE_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        yield first, second


@pytest.fixture
def single(portal: Portal, db: Session) -> Portal:
    """One provider and one chair, so a taken time disappears from every listing."""
    db.execute(
        update(Provider).where(Provider.id == portal.clinic.providers[1].id).values(active=False)
    )
    db.execute(update(Chair).where(Chair.id == portal.clinic.chairs[0].id).values(active=False))
    db.commit()
    return portal


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    runs: list[int] = []
    real: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return runs


def _staff_starts(portal: Portal, client: TestClient) -> set[str]:
    resp = client.get(
        "/api/booking/availability",
        params={
            "appointmentTypeId": portal.clinic.adj.id,
            "from": portal.clinic.iso(8),
            "to": portal.clinic.iso(18),
        },
        headers=portal.clinic.headers(),
    )
    assert resp.status_code == 200, resp.text
    return {s["startTime"] for s in resp.json()["slots"]}


def _portal_starts(portal: Portal, client: TestClient, headers: dict[str, str]) -> set[str]:
    resp = client.get(
        SLOTS,
        params={
            "appointmentTypeId": portal.npc.id,
            "from": portal.clinic.iso(0),
            "to": portal.clinic.iso(0, days=1),
        },
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    return {s["startTime"] for d in resp.json()["days"] for s in d["slots"]}


def test_one_workers_answer_serves_the_other(
    single: Portal, workers: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = workers
    staff_runs = _counting(monkeypatch, cached_availability, "find_availability")
    portal_runs = _counting(monkeypatch, engine_availability, "find")
    guest = single.guest()
    staff = _staff_starts(single, first)
    listed = _portal_starts(single, first, guest)
    assert staff and listed
    assert (len(staff_runs), len(portal_runs)) == (1, 1)
    # The other worker never computed either answer: it reads them from Redis.
    assert _staff_starts(single, second) == staff
    assert _portal_starts(single, second, single.guest()) == listed
    assert (len(staff_runs), len(portal_runs)) == (1, 1)


def test_a_time_booked_held_or_blocked_is_offered_by_no_worker(
    single: Portal, workers: tuple[TestClient, TestClient]
) -> None:
    portal = single
    watcher, holder = portal.guest(), portal.guest()

    def offered(iso: str) -> list[bool]:
        """Whether each worker offers `iso`, to staff and on the portal."""
        return [
            answer
            for client in workers
            for answer in (
                iso in _staff_starts(portal, client),
                iso in _portal_starts(portal, client, watcher),
            )
        ]

    at_11, at_14, at_15 = portal.clinic.iso(11), portal.clinic.iso(14), portal.clinic.iso(15)
    assert offered(at_11) == offered(at_14) == offered(at_15) == [True] * 4  # all cached now

    # Booked by staff through a third instance.
    booked = staff_book(portal.client, portal.clinic, startTime=at_11)
    assert booked.status_code == 201, booked.text
    assert offered(at_11) == [False] * 4

    # Held by a patient online: busy for everyone else on the portal. Staff may book over a
    # guest's hold (docs/security-holds.md), so their listing still offers it.
    held = portal.hold(holder, portal.choice(portal.npc.id, 14))
    assert held.status_code == 201, held.text
    assert offered(at_14) == [True, False, True, False]

    # Blocked: the provider works only from 16:00 that day.
    resp = portal.client.put(
        f"/api/schedule-templates/{portal.clinic.adj_slot.template_id}",
        json={
            "exceptions": [
                {
                    "resourceType": "provider",
                    "resourceId": portal.clinic.providers[0].id,
                    "date": portal.clinic.day.isoformat(),
                    "blocks": [{"start": "16:00", "end": "18:00"}],
                    "reason": "Training",
                }
            ]
        },
        headers=portal.clinic.headers("admin"),
    )
    assert resp.status_code == 200, resp.text
    assert offered(at_15) == [False] * 4
    assert offered(portal.clinic.iso(16)) == [True] * 4
