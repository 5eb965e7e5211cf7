"""`slotwise serve --workers 2` with metrics on their own port: one scrape counts both workers.

A real server (the stress tests' `served`), so what is tested is what an operator runs: the
serve command's shared PROMETHEUS_MULTIPROC_DIR, the 127.0.0.1 metrics port in the serving
process, and the JSON access lines the workers write.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.config import Settings
from tests.api.core.test_metrics import value
from tests.stress.support import served
from tests.support.server import free_port

HEALTH = "slotwise_http_requests_total"
T = TypeVar("T")


def eventually(probe: Callable[[], T], done: Callable[[T], bool], seconds: float = 20) -> T:
    """A worker counts and logs a request just after answering it: wait until it has."""
    deadline = time.monotonic() + seconds
    while True:
        seen = probe()
        if done(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def healthz_count(scrape_url: str) -> float:
    return value(httpx.get(scrape_url).text, HEALTH, route="/healthz", status="200")


def send_until_both_workers_answered(
    base: str, answered: Callable[[], int], seconds: float = 60
) -> int:
    """Batches of concurrent requests, each on a fresh connection, until `answered()` (the
    number of workers seen answering) is 2; the number of requests sent."""
    sent = 0
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(8) as pool:
        while answered() < 2:
            assert time.monotonic() < deadline, "one worker answered every request"
            codes = list(pool.map(lambda _: httpx.get(base + "/healthz").status_code, range(32)))
            assert codes == [200] * 32
            sent += 32
    return sent


def per_worker_counts(multiproc: Path, scratch: Path) -> dict[str, float]:
    """/healthz requests each worker recorded, read from its own files alone."""
    by_pid: dict[str, list[Path]] = defaultdict(list)
    for db_file in multiproc.glob("*.db"):
        by_pid[db_file.stem.rsplit("_", 1)[-1]].append(db_file)
    counts = {}
    for pid, files in by_pid.items():
        alone = scratch / pid
        shutil.rmtree(alone, ignore_errors=True)
        alone.mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, alone / f.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        text = generate_latest(registry).decode()
        counts[pid] = value(text, HEALTH, route="/healthz", status="200")
    return {pid: n for pid, n in counts.items() if n}


@pytest.mark.parametrize("database_url_backend", ["sqlite"], indirect=True)
def test_two_workers_are_summed_in_one_scrape_on_the_private_port(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics_port = free_port()
    multiproc = tmp_path / "metrics"
    monkeypatch.setenv("SLOTWISE_METRICS", f"port:{metrics_port}")
    monkeypatch.setenv("SLOTWISE_LOG_FORMAT", "json")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(multiproc))
    with served(settings, workers=2) as base:
        private = f"http://127.0.0.1:{metrics_port}/metrics"
        # served() already sent some (a health check that timed out client-side still counts).
        before = healthz_count(private)
        sent = send_until_both_workers_answered(
            base, lambda: len(per_worker_counts(multiproc, tmp_path / "alone"))
        )
        total = eventually(lambda: healthz_count(private), lambda n: n - before == sent)
        assert total - before == sent
        counts = per_worker_counts(multiproc, tmp_path / "alone")
        # The private port sums both workers; each alone saw only part.
        assert total == sum(counts.values())
        assert len(counts) == 2 and all(n < total for n in counts.values())
        # The API's own port does not serve them.
        assert httpx.get(base + "/metrics").status_code == 404

        # Each worker wrote one JSON access line per request it answered, under its own pid.
        access = eventually(lambda: health_lines(settings, base), lambda a: len(a) == total)
        assert len(access) == total
        assert {str(a["pid"]) for a in access} == set(counts)


def health_lines(settings: Settings, base: str) -> list[dict[str, object]]:
    """The JSON access lines for /healthz that the server (`served`) logged."""
    log = (settings.secret_file.parent / f"serve-{base.rsplit(':', 1)[1]}.log").read_text()
    lines = [json.loads(ln) for ln in log.splitlines() if ln.startswith("{")]
    return [
        a
        for a in lines
        if a.get("logger") == "slotwise.access" and a["route"] == "/healthz" and a["status"] == 200
    ]


@pytest.mark.parametrize("database_url_backend", ["sqlite"], indirect=True)
def test_with_metrics_on_the_api_port_any_worker_answers_for_both(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The operator sets no PROMETHEUS_MULTIPROC_DIR: slotwise serve makes one for the workers.
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("SLOTWISE_METRICS", "on")
    monkeypatch.setenv("SLOTWISE_LOG_FORMAT", "json")
    with served(settings, workers=2) as base:
        scrape_url = base + "/metrics"
        before = healthz_count(scrape_url)
        sent = send_until_both_workers_answered(
            base, lambda: len({a["pid"] for a in health_lines(settings, base)})
        )
        total = eventually(lambda: healthz_count(scrape_url), lambda n: n - before == sent)
        assert total - before == sent
        # Both workers answered some, so neither alone has counted `total`: every scrape, by
        # whichever worker answers it, must show the sum.
        with ThreadPoolExecutor(8) as pool:
            scrapes = list(pool.map(lambda _: healthz_count(scrape_url), range(16)))
        assert set(scrapes) == {total}
