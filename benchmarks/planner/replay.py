"""``--via-api``: replay a scenario against a running Slotwise server over HTTP.

The number measured is then the one the product delivers: the server's own availability and
best-fit endpoints choose the slots, its booking endpoint accepts or refuses them (409 when
someone else got there first), and the final schedule is read back from
``GET /api/booking/appointments``, not from what the replay thinks it booked.

Setup: signed in with the account given (it needs ``booking:configure``), the replay opens a
fresh clinic (``POST /api/clinics`` with a generated first admin) so it never touches real
data, and creates the scenario's providers, chairs, rooms, types, an active schedule template
and, as requests arrive, the patients (with their usual provider).

Time: the server books against its real clock, so the scenario is moved forward by whole weeks
until its horizon starts after today (weekdays and local hours unchanged), and requests are sent
in order without waiting. Acceptable days and hours cannot be sent to the availability
endpoint, so the replay asks for the whole window and takes the first suggestion (best-fit) or
start (first-available) the patient can make, as a front desk would; up to five candidates are
tried when the server refuses one.
"""

from __future__ import annotations

import heapq
import secrets
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from benchmarks.planner.run import Run, collect, expand_policies
from benchmarks.planner.simulate import (
    Booking,
    Outcome,
    Part,
    acceptable_blocks,
    peak_rss_mb,
    provider_time,
    request_window,
)
from benchmarks.scenarios.model import Request, Scenario

API_POLICIES = ("first-available", "best-fit")
TRIES = 5


class ReplayError(RuntimeError):
    """The server refused a setup step; the message carries its problem detail."""


def shifted(s: Scenario, now: datetime) -> Scenario:
    """The scenario moved forward by whole weeks so its horizon starts after ``now``."""
    weeks = 0
    while s.instant(s.start + timedelta(weeks=weeks), datetime.min.time()) <= now + timedelta(
        days=1
    ):
        weeks += 1
    d = timedelta(weeks=weeks)
    return replace(
        s,
        start=s.start + d,
        requests=tuple(
            replace(q, made_at=q.made_at + d, earliest=q.earliest + d, latest=q.latest + d)
            for q in s.requests
        ),
    )


def _check(r: httpx.Response, what: str) -> Any:
    if r.status_code >= 400:
        raise ReplayError(f"{what}: HTTP {r.status_code} {r.text[:500]}")
    return r.json() if r.content else None


def login(client: httpx.Client, email: str, password: str) -> None:
    r = client.post("/api/auth/token", data={"username": email, "password": password})
    token = _check(r, f"sign in as {email}")["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


class Clinic:
    """The scenario's clinic created through the API, with scenario id -> API id maps."""

    def __init__(self, client: httpx.Client, s: Scenario, label: str) -> None:
        self.c = client
        self.s = s
        email = f"planner-{secrets.token_hex(6)}@example.com"
        password = secrets.token_urlsafe(18)
        _check(
            client.post(
                "/api/clinics",
                json={
                    "name": f"Planner replay {label} {datetime.now(UTC):%Y-%m-%d %H:%M:%S}",
                    "timeZone": s.time_zone,
                    "minLeadTimeMinutes": s.min_lead_minutes,
                    "slotGranularityMinutes": s.granularity_minutes,
                    "maxHorizonDays": 730,
                    "firstAdmin": {"email": email, "password": password},
                },
            ),
            "create the replay clinic",
        )
        login(client, email, password)
        self.ids: dict[str, str] = {}
        self.back: dict[str, str] = {}
        paths = {"provider": "/api/providers", "chair": "/api/chairs", "room": "/api/rooms"}
        for r in s.resources:
            body: dict[str, Any] = {"name": r.name or r.id}
            if r.kind == "room":
                body["kind"] = r.room_kind or "room"
            made = _check(client.post(paths[r.kind], json=body), f"create {r.kind} {r.id}")
            self._map(r.id, made["id"])
        for t in s.types:
            made = _check(
                client.post(
                    "/api/appointment-types",
                    json={
                        "name": t.name or t.id,
                        "code": t.id,
                        "defaultDuration": t.minutes,
                        "minDuration": t.minutes,
                        "maxDuration": t.minutes,
                        "needsProvider": t.needs_provider,
                        "providerIds": [self.ids[p] for p in t.provider_ids],
                        "needsChair": t.needs_chair,
                        "roomKind": t.room_kind,
                        # Sent only when set, so a server without doctor time still takes it.
                        **({"timePattern": t.time_pattern} if t.time_pattern else {}),
                    },
                ),
                f"create type {t.id}",
            )
            self._map(t.id, made["id"])
        hours = [
            {
                "resourceType": r.kind,
                "resourceId": self.ids[r.id],
                "weekday": d,
                "start": f"{b.start:%H:%M}",
                "end": f"{b.end:%H:%M}",
            }
            for r in s.resources
            for d, bs in sorted(r.hours.items())
            for b in bs
        ]
        slots = [
            {
                "name": x.id,
                "weekday": x.weekday,
                "start": f"{x.block.start:%H:%M}",
                "end": f"{x.block.end:%H:%M}",
                "chairId": self.ids.get(x.chair_id or ""),
                "providerId": self.ids.get(x.provider_id or ""),
                "appointmentTypeIds": [self.ids[t] for t in x.type_ids],
            }
            for x in s.template_slots
        ]
        _check(
            client.post(
                "/api/schedule-templates",
                json={
                    "name": f"{s.name} template",
                    "active": True,
                    "workingHours": hours,
                    "templateSlots": slots,
                },
            ),
            "create the schedule template",
        )
        self.patients: dict[str, str] = {}

    def _map(self, ours: str, theirs: str) -> None:
        self.ids[ours] = theirs
        self.back[theirs] = ours

    def patient(self, q: Request) -> str:
        if q.patient_id not in self.patients:
            made = _check(
                self.c.post(
                    "/api/patients",
                    json={
                        "firstName": "Planner",
                        "lastName": q.patient_id,
                        "dateOfBirth": "2012-06-01",
                        "usualProviderId": self.ids.get(q.usual_provider_id or ""),
                    },
                ),
                f"create patient {q.patient_id}",
            )
            self.patients[q.patient_id] = made["id"]
        return self.patients[q.patient_id]


def _fits(q: Request, s: Scenario, slot: dict[str, Any]) -> bool:
    """Every part inside one of the patient's acceptable blocks (what the patient says yes to)."""
    blocks = acceptable_blocks(s, q)
    for p in slot["parts"]:
        a, z = datetime.fromisoformat(p["startTime"]), datetime.fromisoformat(p["endTime"])
        if not any(x <= a and z <= y for x, y in blocks):
            return False
    return True


def _candidates(cl: Clinic, q: Request, policy: str, pid: str) -> list[dict[str, Any]]:
    ws, we = request_window(cl.s, q)
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("appointmentTypeId", cl.ids[p.type_id]) for p in q.parts
    ]
    params += [
        ("from", ws.isoformat()),
        ("to", we.isoformat()),
        ("patientId", pid),
        ("mode", "best" if policy == "best-fit" else "all"),
        ("limit", 50 if policy == "best-fit" else 5000),
    ]
    if len(q.parts) > 1:
        params += [
            ("minGap", max(p.min_gap_minutes for p in q.parts[1:])),
            ("maxGap", max(p.max_gap_minutes for p in q.parts[1:])),
        ]
    r = cl.c.get("/api/booking/availability", params=params)
    if r.status_code == 422:
        return []  # e.g. the whole window is inside the lead time: nothing bookable
    body = _check(r, f"availability for {q.id}")
    found = body["suggestions"] if policy == "best-fit" else body["slots"]
    return [x for x in found if _fits(q, cl.s, x)]


def _book(cl: Clinic, q: Request, pid: str, slot: dict[str, Any]) -> list[dict[str, Any]] | None:
    parts = [
        {
            "appointmentTypeId": p["appointmentTypeId"],
            "providerId": p["providerId"],
            "chairId": p["chairId"],
            "roomId": p["roomId"],
            "startTime": p["startTime"],
            "duration": p["duration"],
            "templateSlotId": p["templateSlotId"],
        }
        for p in slot["parts"]
    ]
    body: dict[str, Any] = {"patientId": pid}
    if len(parts) == 1:
        body |= parts[0]
    else:
        body["parts"] = parts
    r = cl.c.post("/api/booking/appointments", json=body)
    if r.status_code == 409:
        return None  # refused (taken meanwhile, or a rule): the caller tries the next candidate
    made = _check(r, f"book {q.id}")
    return made.get("appointments", [made])


def _part(cl: Clinic, a: dict[str, Any]) -> Part:
    """One appointment read back, with the provider time the server says it holds
    (``providerTime``); a server that does not list it holds the type's pattern from the start."""
    type_id = cl.back[a["appointmentTypeId"]]
    start = datetime.fromisoformat(a["startTime"])
    provider = cl.back.get(a["providerId"])
    held = a.get("providerTime")
    return Part(
        type_id,
        start,
        datetime.fromisoformat(a["endTime"]),
        provider,
        cl.back.get(a["chairId"] or ""),
        cl.back.get(a["roomId"] or ""),
        None
        if not provider
        else provider_time(cl.s.type(type_id), start)
        if held is None
        else tuple(
            (datetime.fromisoformat(t["startTime"]), datetime.fromisoformat(t["endTime"]))
            for t in held
        ),
    )


def final_schedule(
    cl: Clinic, s: Scenario, requests_by_patient: dict[str, Request]
) -> list[Booking]:
    """Every live appointment the server holds for the replay clinic, grouped into visits."""
    h0, h1 = s.horizon
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = _check(
            cl.c.get(
                "/api/booking/appointments",
                params={
                    "from": h0.isoformat(),
                    "to": h1.isoformat(),
                    "limit": 1000,
                    "offset": offset,
                },
            ),
            "list appointments",
        )
        rows += page["items"]
        offset += len(page["items"])
        if offset >= page["total"] or not page["items"]:
            break
    back_patient = {v: k for k, v in cl.patients.items()}
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in rows:
        if a["status"] in ("cancelled", "no_show"):
            continue
        groups.setdefault(a["visitId"] or a["id"], []).append(a)
    out = []
    for appts in groups.values():
        appts.sort(key=lambda a: a["startTime"])
        patient = back_patient[appts[0]["patientId"]]
        q = requests_by_patient[patient]
        out.append(
            Booking(
                request_id=q.id,
                patient_id=patient,
                parts=tuple(_part(cl, a) for a in appts),
                booked_at=q.made_at,
                no_show=q.no_show,
            )
        )
    return sorted(out, key=lambda b: (b.start, b.request_id))


def replay(
    s: Scenario, policy: str, base_url: str, email: str, password: str, progress: bool = True
) -> Outcome:
    if policy not in API_POLICIES:
        raise ValueError(f"--via-api replays {', '.join(API_POLICIES)}, not {policy!r}")
    with httpx.Client(base_url=base_url, timeout=120) as client:
        login(client, email, password)
        cl = Clinic(client, s, policy)
        by_patient: dict[str, Request] = {}
        for q in s.requests:
            if q.patient_id in by_patient:
                raise ValueError(
                    f"--via-api needs one request per patient; {q.patient_id} has several"
                )
            by_patient[q.patient_id] = q
        out = Outcome(policy, [])
        live: dict[str, tuple[Booking, list[str]]] = {}
        events: list[tuple[datetime, int, str, str]] = [
            (q.made_at, i, "request", q.id) for i, q in enumerate(s.requests)
        ]
        heapq.heapify(events)
        seq = len(events)
        by_id = {q.id: q for q in s.requests}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(s.requests), unit="req", desc=f"{s.name} via API, {policy}")
        refused = 0
        t0 = time.perf_counter()
        while events:
            _, _, kind, rid = heapq.heappop(events)
            q = by_id[rid]
            if kind == "cancel":
                _, appt_ids = live.pop(rid)
                for aid in appt_ids:
                    _check(
                        client.delete(
                            f"/api/booking/appointments/{aid}",
                            params={"reason": "patient cancelled", "waiveFee": True},
                        ),
                        f"cancel {rid}",
                    )
                out.cancelled.append(rid)
                continue
            pid = cl.patient(q)
            started = time.perf_counter()
            made = None
            cands = _candidates(cl, q, policy, pid)
            out.request_ms.append((time.perf_counter() - started) * 1000)
            for slot in cands[:TRIES]:
                made = _book(cl, q, pid, slot)
                if made is not None:
                    break
                refused += 1
            if bar is not None:
                bar.update(1)
            if made is None:
                out.turned_away.append(rid)
                continue
            parts = tuple(_part(cl, a) for a in sorted(made, key=lambda a: a["startTime"]))
            b = Booking(q.id, q.patient_id, parts, q.made_at, q.no_show)
            live[rid] = (b, [a["id"] for a in made])
            if q.cancel_fraction is not None:
                when = q.made_at + (b.start - q.made_at) * q.cancel_fraction
                heapq.heappush(events, (when, seq, "cancel", rid))
                seq += 1
        if bar is not None:
            bar.close()
        out.bookings = final_schedule(cl, s, by_patient)
        out.wall_seconds = time.perf_counter() - t0
        out.peak_rss_mb = peak_rss_mb()
        replayed = sorted(live.values(), key=lambda x: (x[0].start, x[0].request_id))
        out.extra = {
            "via_api": base_url,
            "api_refused_bookings": refused,
            # What the replay booked and did not cancel must be exactly what the server holds.
            "api_schedule_matches_replay": [b for b, _ in replayed] == out.bookings,
        }
        return out


def replay_all(
    s: Scenario,
    policies: Sequence[str],
    base_url: str,
    email: str,
    password: str,
    progress: bool = True,
) -> Run:
    names = [p for p in expand_policies(policies) if p in API_POLICIES]
    if not names:
        raise ValueError(f"--via-api replays {', '.join(API_POLICIES)}")
    if s.of_kind("assistant"):
        # The HTTP API has no assistants to create yet; a replay without them would measure a
        # different clinic from the simulator's and say nothing about it.
        raise ValueError(
            f"--via-api cannot create assistants yet; scenario {s.name!r} has "
            f"{len(s.of_kind('assistant'))}: replay it without them "
            "(Scenario.without_assistants) or simulate it without --via-api"
        )
    moved = shifted(s, datetime.now(UTC))
    outcomes = {p: replay(moved, p, base_url, email, password, progress) for p in names}
    return Run(moved, outcomes, collect(moved, outcomes))
