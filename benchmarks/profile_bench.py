"""Where one request's time goes, by part, from a pyinstrument profile of the whole app in process.

On the demo clinic, three requests are each sent `--repeats` times through the full ASGI stack
(middleware, authentication, the endpoint, response serialisation) with httpx's ASGI transport:
a 14-day staff availability query, a staff booking (a different free time each), and a patient's
14-day portal availability query. Sync endpoints and dependencies run inline on the event loop's
thread (anyio's thread offload is replaced for the run), so one sampling profiler sees all of it.

Each sample's time goes to the innermost part its stack is in:

- auth: `api.auth.deps.current_principal` (token check and the user read);
- state load: `ClinicState` (configuration, busy time, holds);
- engine: anything under `solver/`;
- serialise: building and encoding the response (`to_slot_read`, FastAPI's response path);
- handler: the rest of the endpoint (validation, checks, audit, the session's commit);
- framework: the rest (routing, middleware, request parsing, httpx's transport).

and, separately, how much of each part is inside the database driver or SQLAlchemy.

    python -m benchmarks.profile_bench --label before   # writes results/profile-before.json
    python -m benchmarks.profile_bench --label after    # then results/profile.md shows both

`make bench` runs it with the label "latest".

PostgreSQL when SLOTWISE_TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) is set, else SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
from pyinstrument import Profiler
from sqlalchemy import select

from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from api.demo import load_demo
from api.main import create_app
from api.models import AppointmentType, Clinic, Patient, User
from benchmarks.booking_bench import _database

RESULTS = Path(__file__).parent / "results"
PARTS = ("auth", "state load", "engine", "serialise", "handler", "framework")
REQUESTS = ("staff availability", "booking", "portal availability")


def _part(function: str, file_path: str) -> str | None:
    """The part a frame starts, or None when it stays in its caller's part."""
    path = file_path.replace("\\", "/")
    if function == "current_principal" and path.endswith("api/auth/deps.py"):
        return "auth"
    if path.endswith("api/booking/clinic_state.py") and function == "__init__":
        return "state load"
    if "/solver/" in path and "/site-packages/" not in path:
        return "engine"
    if function in ("to_slot_read", "serialize_response", "jsonable_encoder", "render"):
        return "serialise"
    if function == "run_endpoint_function":
        return "handler"
    return None


def _is_db(file_path: str) -> bool:
    path = file_path.replace("\\", "/")
    return any(k in path for k in ("/sqlalchemy/", "/psycopg/", "/sqlite3/"))


def _attribute(frame: Any, part: str, in_db: bool, out: dict[str, list[float]]) -> None:
    part = _part(frame.function or "", frame.file_path or "") or part
    in_db = in_db or _is_db(frame.file_path or "")
    own = frame.time - sum(child.time for child in frame.children)
    out[part][0] += own
    if in_db:
        out[part][1] += own
    for child in frame.children:
        _attribute(child, part, in_db, out)


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


def _profile(send: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Per-request milliseconds by part (and inside the database), over `repeats` requests."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(send())  # warm up: imports, connections, caches
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()

        async def many() -> None:
            for _ in range(repeats):
                await send()

        loop.run_until_complete(many())
        session = profiler.stop()
    finally:
        loop.close()
    parts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    root = session.root_frame()
    if root is not None:
        _attribute(root, "framework", False, parts)
    per = {p: round(parts[p][0] / repeats * 1000, 2) for p in PARTS}
    db = {p: round(parts[p][1] / repeats * 1000, 2) for p in PARTS}
    return {"ms": per, "db_ms": db, "total_ms": round(sum(per.values()), 2)}


def run(repeats: int) -> dict[str, Any]:
    url, drop, backend = _database()
    original = anyio.to_thread.run_sync
    try:
        settings = Settings(DATABASE_URL=url, SLOTWISE_JWT_SECRET="profile-" + "x" * 40)
        app = create_app(settings)
        with app.state.db.write() as session:
            load_demo(session)
            session.commit()
        with app.state.db.read() as session:
            clinic = session.scalars(select(Clinic)).one()
            adj = session.scalars(
                select(AppointmentType).where(AppointmentType.code == "ADJ")
            ).one()
            patient_user = session.scalars(select(User).where(User.role == "patient")).one()
            staff = session.scalars(select(User).where(User.role == "frontdesk")).one()
            patients = [p.id for p in session.scalars(select(Patient))]
            session.expunge_all()
        staff_auth = {
            "Authorization": "Bearer "
            + issue_token(settings, TokenClaims(staff.id, clinic.id, "frontdesk", None, None))
        }
        patient_auth = {
            "Authorization": "Bearer "
            + issue_token(
                settings,
                TokenClaims(patient_user.id, clinic.id, "patient", patient_user.patient_id, None),
            )
        }
        now = datetime.now(UTC)
        window = {
            "appointmentTypeId": adj.id,
            "from": now.isoformat(),
            "to": (now + timedelta(days=14)).isoformat(),
        }
        anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        )

        async def staff_availability() -> None:
            resp = await http.get("/api/booking/availability", params=window, headers=staff_auth)
            assert resp.status_code == 200, resp.text

        async def portal() -> None:
            resp = await http.get(
                "/api/patient-portal/available-slots", params=window, headers=patient_auth
            )
            assert resp.status_code == 200, resp.text

        # Free times for the bookings, one patient each (a patient cannot be in two places).
        free: list[dict[str, Any]] = []

        async def find_free() -> None:
            resp = await http.get(
                "/api/booking/availability",
                params={**window, "from": (now + timedelta(days=15)).isoformat(),
                        "to": (now + timedelta(days=29)).isoformat()},
                headers=staff_auth,
            )  # fmt: skip
            seen: set[str] = set()
            for slot in resp.json()["slots"]:
                part = slot["parts"][0]
                if slot["startTime"] in seen:
                    continue
                seen.add(slot["startTime"])
                free.append(part)

        asyncio.run(find_free())
        order = iter(range(10_000))

        async def book() -> None:
            i = next(order)
            part = free[i * 7 % len(free)]
            resp = await http.post(
                "/api/booking/appointments",
                json={
                    "patientId": patients[i % len(patients)],
                    "appointmentTypeId": adj.id,
                    "providerId": part["providerId"],
                    "chairId": part["chairId"],
                    "startTime": part["startTime"],
                    "duration": part["duration"],
                },
                headers=staff_auth,
            )
            # A conflict with an earlier booking of this run is still a full booking request.
            assert resp.status_code in (201, 409), resp.text

        result = {
            "backend": backend,
            "repeats": repeats,
            "requests": {
                "staff availability": _profile(staff_availability, repeats),
                "booking": _profile(book, repeats),
                "portal availability": _profile(portal, repeats),
            },
        }
    finally:
        anyio.to_thread.run_sync = original  # type: ignore[assignment]
        drop()
    return result


def _markdown() -> str:
    lines = [
        "# Where a request's time goes (demo clinic, in process, pyinstrument)",
        "",
        "Generated by `python -m benchmarks.profile_bench --label <label>`; milliseconds per "
        "request, each sample counted in the innermost part it is in (module docstring), and in "
        "brackets the share of it spent in SQLAlchemy and the database driver. One run per label "
        "on a shared two-core machine: compare parts within a column more than across runs.",
        "",
    ]
    for path in sorted(RESULTS.glob("profile-*.json")):
        data = json.loads(path.read_text())
        label = path.stem.removeprefix("profile-")
        for backend, result in sorted(data.items()):
            lines += [
                f"## {label}: {backend}, {result['repeats']} requests each",
                "",
                "| part | " + " | ".join(REQUESTS) + " |",
                "|---|" + "---:|" * len(REQUESTS),
            ]
            for part in PARTS:
                cells = [
                    f"{result['requests'][r]['ms'][part]} ({result['requests'][r]['db_ms'][part]})"
                    for r in REQUESTS
                ]
                lines.append(f"| {part} | " + " | ".join(cells) + " |")
            totals = [str(result["requests"][r]["total_ms"]) for r in REQUESTS]
            lines += ["| **total** | " + " | ".join(totals) + " |", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="latest", help="before, after, ...")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="10 requests of each kind")
    args = parser.parse_args(argv)
    result = run(args.repeats or (10 if args.quick else 30))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"profile-{args.label}.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[result["backend"]] = result
    path.write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "profile.md").write_text(_markdown())
    print(_markdown())


if __name__ == "__main__":
    main()
