"""Collects every benchmarks/results/*.md table into benchmarks/results/SUMMARY.md."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parts = ["# Benchmark results\n", "Each table is written by its benchmark in one run.\n"]
    for table in sorted(RESULTS.glob("*.md")):
        if table.name == "SUMMARY.md":
            continue
        parts.append(table.read_text().strip() + "\n")
    out = RESULTS / "SUMMARY.md"
    out.write_text("\n".join(parts))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
