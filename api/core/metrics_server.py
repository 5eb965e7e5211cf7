"""What `slotwise serve` sets up for metrics before uvicorn starts its workers.

`multiprocess_dir` gives the workers a shared PROMETHEUS_MULTIPROC_DIR (a fresh one, removed
afterwards, unless the operator named one, which is emptied first: files left by an earlier run
would be summed in). `start` serves the summed metrics on 127.0.0.1 only, from the serving
process itself, so a port works the same with one worker or many.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from api.core.metrics import MULTIPROC_ENV, multiprocess


@contextmanager
def multiprocess_dir(needed: bool) -> Iterator[Path | None]:
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        yield path
        return
    if not needed:
        yield None
        return
    path = Path(tempfile.mkdtemp(prefix="slotwise-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def start(port: int) -> None:
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    start_http_server(port, addr="127.0.0.1", registry=registry)
    print(f"metrics on http://127.0.0.1:{port}/metrics", file=sys.stderr)
