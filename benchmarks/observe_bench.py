"""What observability costs a request: the app with and without its request middleware.

Two apps on one database, in process, identical but for `ObserveRequests` and `NoteRoute`
(api/core/observe.py: the metrics and the JSON access line, logged through the server's own log
config to a file). Interleaved rounds of `/healthz`, the cheapest route, so the difference is
the whole of the layer's cost and nothing else; CPU time, since wall time on a shared machine
mostly measures the other jobs. Writes benchmarks/results/observe.json and .md.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.config import Settings
from api.core import access_log, logs, metrics
from api.core.observe import NoteRoute, ObserveRequests
from api.main import create_app

RESULTS = Path(__file__).parent / "results"


def _parts(n: int) -> dict[str, float]:
    """CPU µs of the layer's two pieces of work alone, under the JSON log config in force."""
    t0 = time.process_time()
    for _ in range(n):
        access_log.request_line(
            method="GET",
            route="/api/patients/{patient_id}",
            path="/api/patients/0123456789abcdef",
            status=200,
            seconds=0.0123,
            request_id="0123456789abcdef0123456789abcdef",
            clinic_id="0123456789abcdef0123456789abcdef",
        )
    line = (time.process_time() - t0) / n * 1e6
    t0 = time.process_time()
    for _ in range(n):
        metrics.observe_request("GET", "/api/patients/{patient_id}", 200, 0.0123)
    counted = (time.process_time() - t0) / n * 1e6
    return {"json_access_line_us": line, "request_metrics_us": counted}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds, per_round = (10, 50) if args.quick else (40, 100)

    tmp = Path(tempfile.mkdtemp(prefix="slotwise-observe-"))
    settings = Settings(
        DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        SLOTWISE_JWT_SECRET="bench-" + "x" * 40,
        SLOTWISE_SECRET_FILE=tmp / "secret",
    )
    config = logs.log_config("json")
    sink = (tmp / "log").open("w")
    config["handlers"]["default"] = {"class": "logging.StreamHandler", "formatter": "default"}
    logging.config.dictConfig(config)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sink)
    try:
        observed = create_app(settings)
        bare = create_app(settings)
        bare.user_middleware = [
            m for m in bare.user_middleware if m.cls not in (ObserveRequests, NoteRoute)
        ]
        clients = {"observed": TestClient(observed), "bare": TestClient(bare)}
        samples: dict[str, list[float]] = {k: [] for k in clients}
        for client in clients.values():
            for _ in range(per_round):
                client.get("/healthz")  # warm: not measured
        for _ in range(rounds):
            for key, client in clients.items():
                # CPU time of this process (the client and the app's threads): what the layer
                # adds, without the wall-clock waits other jobs on the machine cause.
                t0 = time.process_time()
                for _ in range(per_round):
                    assert client.get("/healthz").status_code == 200
                samples[key].append((time.process_time() - t0) / per_round * 1e6)
        logged = sum(
            1 for line in (tmp / "log").read_text().splitlines() if "slotwise.access" in line
        )
        parts = _parts(10_000 if args.quick else 50_000)
    finally:
        sink.close()
        logging.config.dictConfig(logs.log_config("text"))

    median = {k: statistics.median(v) for k, v in samples.items()}
    # Paired by round (same moment, same machine load): the median of the differences.
    paired = [a - b for a, b in zip(samples["observed"], samples["bare"], strict=True)]
    cost = statistics.median(paired)
    spread = (min(paired), max(paired))
    report = {
        "rounds": rounds,
        "requests_per_round": per_round,
        "median_us": median,
        "cost_us": cost,
        "cost_us_per_round": paired,
        "cost_share": cost / median["bare"],
        "access_lines_written": logged,
        "parts_cpu_us": parts,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "observe.json").write_text(json.dumps(report, indent=2))
    lines = [
        "## Observability: what the request middleware costs",
        "",
        f"In process, `/healthz` (the cheapest route), {rounds} interleaved rounds of "
        f"{per_round}; metrics recorded and one JSON access line written per request "
        f"({logged} lines).",
        "",
        "| app | median CPU µs per request (client included) |",
        "|---|---:|",
        f"| without the middleware | {median['bare']:.0f} |",
        f"| with metrics and the access line | {median['observed']:.0f} |",
        f"| cost of the layer (median of per-round differences) | {cost:.0f} "
        f"({100 * cost / median['bare']:.1f}% of `/healthz`) |",
        "",
        f"Per-round differences ranged {spread[0]:.0f} to {spread[1]:.0f} µs. Alone, in a loop: "
        f"writing one JSON access line {parts['json_access_line_us']:.0f} µs, recording the "
        f"request's two metrics {parts['request_metrics_us']:.0f} µs.",
        "",
    ]
    (RESULTS / "observe.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
