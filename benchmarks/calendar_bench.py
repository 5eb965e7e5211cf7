"""Calendar live channel: conflict-probe round trip over the WebSocket, and push latency.

Loads the demo clinic into a fresh SQLite database, serves the app with uvicorn on 127.0.0.1,
and over one authenticated WebSocket sends probes for demo appointments dragged to random
times and chairs, as the calendar does while an appointment is dragged. Reports, from one run:

- the probe's round trip (send → answer, as the page sees it), median and p95;
- the same probe answered in-process (no socket, no JSON), to show what the channel adds;
- push latency: a reschedule over HTTP until a second socket receives the event.

Target: the probe's median round trip well under 50 ms. Writes
``benchmarks/results/calendar_bench.json`` and ``.md``. ``--quick`` runs in a few seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select
from websockets.sync.client import connect

from api.auth.deps import Principal
from api.auth.permissions import permissions_for
from api.config import Settings
from api.demo import load_demo
from api.events import probe
from api.main import create_app
from api.migrate import upgrade
from api.models import Appointment, AppointmentStatus, Chair, User

RESULTS = Path(__file__).parent / "results"
NAME = "calendar_bench"
TARGET_MS = 50.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"127.0.0.1:{port}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer probes (a few seconds)")
    ap.add_argument("--probes", type=int, default=None)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    n = args.probes or (150 if args.quick else 1000)
    pushes = 20 if args.quick else 100
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            DATABASE_URL=url,
            SLOTWISE_JWT_SECRET="bench-" + "x" * 40,
            SLOTWISE_SECRET_FILE=Path(tmp) / "s",
        )
        app = create_app(settings)
        with app.state.db.write() as session:
            load_demo(session)
            session.commit()
        with app.state.db.read() as session:
            user = session.scalar(select(User).where(User.role == "frontdesk"))
            assert user is not None
            appts = list(
                session.scalars(
                    select(Appointment).where(
                        Appointment.status.in_(
                            [AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED]
                        ),
                        Appointment.chair_id.is_not(None),
                    )
                )
            )
            chairs = [c.id for c in session.scalars(select(Chair))]
            principal = Principal(user.id, user.clinic_id, user.role, permissions_for(user.role))
        probes = []
        for _ in range(n):
            a = rng.choice(appts)
            shift = timedelta(minutes=5 * rng.randint(-36, 36))
            probes.append(
                {
                    "type": "probe",
                    "appointmentId": a.id,
                    "startTime": (a.start_time + shift).isoformat(),
                    "chairId": rng.choice(chairs),
                }
            )

        # Warm-up, so no measurement pays for SQLAlchemy's statement cache filling.
        for message in probes[:30]:
            with app.state.db.read() as session:
                probe.answer(session, principal, message)

        server, thread, host = _serve(app)
        try:
            token = httpx.post(
                f"http://{host}/api/auth/token",
                data={"username": user.email, "password": "slotwise-demo"},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            # The machine is shared and noisy, so each probe is measured interleaved with its
            # references under the same load: the same probe in-process (no socket, JSON or
            # thread hop), a ping over the same socket (the channel's floor) and an
            # authenticated GET of one appointment over HTTP (the cheapest API read).
            round_trip: list[float] = []
            inproc: list[float] = []
            ping: list[float] = []
            get_ms: list[float] = []
            conflicts = 0
            with (
                connect(f"ws://{host}/api/booking/events") as ws,
                httpx.Client(base_url=f"http://{host}", headers=headers) as http,
            ):
                ws.send(json.dumps({"type": "auth", "token": token}))
                assert json.loads(ws.recv(timeout=10))["type"] == "ready"
                for seq, message in enumerate(probes):
                    started = time.perf_counter()
                    ws.send(json.dumps({**message, "seq": seq}))
                    reply = json.loads(ws.recv(timeout=10))
                    round_trip.append((time.perf_counter() - started) * 1000)
                    assert reply["seq"] == seq and "error" not in reply, reply
                    conflicts += not reply["ok"]

                    started = time.perf_counter()
                    with app.state.db.read() as session:
                        probe.answer(session, principal, message)
                    inproc.append((time.perf_counter() - started) * 1000)

                    started = time.perf_counter()
                    ws.send(json.dumps({"type": "ping", "seq": seq}))
                    assert json.loads(ws.recv(timeout=10))["type"] == "pong"
                    ping.append((time.perf_counter() - started) * 1000)

                    started = time.perf_counter()
                    assert http.get(
                        f"/api/booking/appointments/{message['appointmentId']}"
                    ).is_success
                    get_ms.append((time.perf_counter() - started) * 1000)

            # Push latency: a cheap committed change (PUT notes) until another socket has it,
            # next to the same request's HTTP response time.
            push: list[float] = []
            http_ms: list[float] = []
            with (
                connect(f"ws://{host}/api/booking/events") as ws,
                httpx.Client(base_url=f"http://{host}", headers=headers) as http,
            ):
                ws.send(json.dumps({"type": "auth", "token": token}))
                assert json.loads(ws.recv(timeout=10))["type"] == "ready"
                for i, a in enumerate(rng.sample(appts, pushes)):
                    started = time.perf_counter()
                    resp = http.put(
                        f"/api/booking/appointments/{a.id}",
                        json={"notes": f"bench {i}"},
                        headers={"If-Match": f'"{a.version}"'},
                    )
                    http_ms.append((time.perf_counter() - started) * 1000)
                    assert resp.status_code == 200, resp.text
                    event = json.loads(ws.recv(timeout=10))
                    push.append((time.perf_counter() - started) * 1000)
                    assert event["appointment"]["id"] == a.id
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.state.db.dispose()

    report = {
        "probes": n,
        "conflicting": conflicts,
        "probe_round_trip_ms": {
            "median": round(statistics.median(round_trip), 2),
            "p95": round(_pct(round_trip, 0.95), 2),
        },
        "probe_in_process_ms": {
            "median": round(statistics.median(inproc), 2),
            "p95": round(_pct(inproc, 0.95), 2),
        },
        "ping_round_trip_ms": {
            "median": round(statistics.median(ping), 2),
            "p95": round(_pct(ping, 0.95), 2),
        },
        "http_get_appointment_ms": {
            "median": round(statistics.median(get_ms), 2),
            "p95": round(_pct(get_ms, 0.95), 2),
        },
        "round_trip_over_in_process": round(
            statistics.median(round_trip) / statistics.median(inproc), 2
        ),
        "round_trip_over_ping": round(statistics.median(round_trip) / statistics.median(ping), 2),
        "round_trip_over_http_get": round(
            statistics.median(round_trip) / statistics.median(get_ms), 2
        ),
        "round_trip_median_over_target": round(statistics.median(round_trip) / TARGET_MS, 3),
        "push": {
            "events": len(push),
            "median_ms": round(statistics.median(push), 2),
            "p95_ms": round(_pct(push, 0.95), 2),
            "http_response_median_ms": round(statistics.median(http_ms), 2),
            "push_over_http_response": round(
                statistics.median(push) / statistics.median(http_ms), 2
            ),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(report, indent=2) + "\n")
    rt, ip = report["probe_round_trip_ms"], report["probe_in_process_ms"]
    md = [
        "## Calendar live channel (WebSocket)",
        "",
        f"Demo clinic on SQLite, one uvicorn server on 127.0.0.1; {n} probes "
        f"({conflicts} with conflicts), {len(push)} pushed changes. Each probe is measured "
        "interleaved with its references (same load): compare the ratios, the absolute times "
        "follow the machine's load.",
        "",
        "| measure | median ms | p95 ms | ratio |",
        "|---|---:|---:|---:|",
        f"| probe round trip over WebSocket | {rt['median']} | {rt['p95']} | "
        f"{report['round_trip_median_over_target']} of the 50 ms target |",
        f"| same probe in-process | {ip['median']} | {ip['p95']} | "
        f"round trip / in-process = {report['round_trip_over_in_process']} |",
        f"| ping over the same socket | {report['ping_round_trip_ms']['median']} | "
        f"{report['ping_round_trip_ms']['p95']} | "
        f"round trip / ping = {report['round_trip_over_ping']} |",
        f"| GET one appointment over HTTP | {report['http_get_appointment_ms']['median']} | "
        f"{report['http_get_appointment_ms']['p95']} | "
        f"round trip / GET = {report['round_trip_over_http_get']} |",
        f"| change pushed (PUT sent → event on another socket) | "
        f"{report['push']['median_ms']} | {report['push']['p95_ms']} | "
        f"{report['push']['push_over_http_response']}x the PUT's own response time "
        f"({report['push']['http_response_median_ms']} ms) |",
        "",
    ]
    (RESULTS / f"{NAME}.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
