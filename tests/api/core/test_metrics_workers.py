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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.config import Settings
from tests.api.core.test_metrics import value
from tests.stress.support import served
from tests.support.server import free_port

HEALTH = "slotwise_http_requests_total"


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
        sent = 1 + 2 * 4  # served() saw one answer, then warmed each worker with four
        counts: dict[str, float] = {}
        deadline = time.monotonic() + 60
        # A fresh connection per request, several at once, until both workers answered some.
        with ThreadPoolExecutor(8) as pool:
            while len(counts) < 2:
                assert time.monotonic() < deadline, f"one worker answered everything: {counts}"
                codes = list(
                    pool.map(lambda _: httpx.get(base + "/healthz").status_code, range(32))
                )
                assert codes == [200] * 32
                sent += 32
                counts = per_worker_counts(multiproc, tmp_path / "alone")

        # The API's own port does not serve them; the private one sums both workers.
        assert httpx.get(base + "/metrics").status_code == 404
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert scrape.status_code == 200
        total = value(scrape.text, HEALTH, route="/healthz", status="200")
        assert total == sent == sum(counts.values())
        assert all(n < sent for n in counts.values())

    # Each worker wrote one JSON access line per request it answered.
    log = (settings.secret_file.parent / f"serve-{base.rsplit(':', 1)[1]}.log").read_text()
    access = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"slotwise.access"' in line
    ]
    assert len([a for a in access if a["route"] == "/healthz" and a["status"] == 200]) == sent
