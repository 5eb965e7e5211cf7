"""Planner benchmark for ``make bench``: the ``small`` preset through every policy.

first-available, best-fit (and its realistic top-3 mode) booked as requests arrive, and the
offline CP-SAT optimum with hindsight, on the same seeded demand; the table reports utilisation,
turn-aways, fragmentation, waits, per-request solve time (median, p95) and the offline gap, all
measured in this one run. The full comparison on ``medium`` is ``slotwise plan simulate``.

    .venv/bin/python -m benchmarks.planner_bench [--quick]

writes ``benchmarks/results/planner.json`` and ``benchmarks/results/planner.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.planner.report import markdown
from benchmarks.planner.run import run
from benchmarks.scenarios import generate

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one week, 10 s offline limit")
    args = parser.parse_args()
    t0 = time.perf_counter()
    s = generate("small", weeks=1 if args.quick else None)
    r = run(s, ["all"], offline_seconds=10 if args.quick else 30, progress=False)
    r.results["quick"] = args.quick
    r.results["total_wall_seconds"] = time.perf_counter() - t0
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "planner.json").write_text(json.dumps(r.results, indent=1, default=str) + "\n")
    table = markdown(r.results)
    run_kind = "quick run" if args.quick else "full run"
    text = (
        f"{table}\n\n({run_kind}; total wall time {r.results['total_wall_seconds']:.1f} s. "
        "Targets are stated for `medium`; see docs/planner.md.)"
    )
    (RESULTS / "planner.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
