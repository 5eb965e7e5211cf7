"""Several guests choosing the same time at the same moment: exactly one gets the hold."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.models import Chair, Provider, SlotHold
from tests.api.portal.conftest import Portal
from tests.support.server import running_server

GUESTS = 6


def test_concurrent_holds_for_one_time(portal: Portal, app: FastAPI, db: Session) -> None:
    # One provider and one chair, so the time cannot fall to other resources.
    db.execute(
        update(Provider).where(Provider.id == portal.clinic.providers[1].id).values(active=False)
    )
    db.execute(update(Chair).where(Chair.id == portal.clinic.chairs[0].id).values(active=False))
    db.commit()
    tokens = [portal.guest()["Authorization"] for _ in range(GUESTS)]
    body = portal.choice(portal.npc.id, 11)
    with running_server(app) as base:

        def hold(token: str) -> int:
            with httpx.Client(base_url=base, timeout=60) as http:
                resp = http.post(
                    "/api/patient-portal/holds", json=body, headers={"Authorization": token}
                )
                return resp.status_code

        with ThreadPoolExecutor(GUESTS) as pool:
            codes = sorted(pool.map(hold, tokens))
    assert codes == [201] + [409] * (GUESTS - 1)
    db.commit()
    assert db.scalar(select(func.count()).select_from(SlotHold)) == 1
