"""Prints the stress summary table at the end of the run and writes it to
benchmarks/results/stress.md (only when stress tests ran)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.stress.support import RESULTS, ROOT, summary_table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    table = summary_table(RESULTS)
    terminalreporter.write_sep("=", "stress summary")
    terminalreporter.write_line(table)
    out = ROOT / "benchmarks" / "results" / "stress.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.write_text(
        f"# Stress: no double booking, no lost booking\n\n"
        f"`make stress`, {stamp}. Every row is asserted by a test in tests/stress/: "
        f"overlaps, lost and 5xx must be 0.\n\n{table}\n"
    )
