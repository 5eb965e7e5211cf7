"""The slot-engine benchmark's Markdown report (``benchmarks/results/solver.md``), from the
dict ``benchmarks.solver_bench`` also writes as ``solver.json``."""

from __future__ import annotations


def markdown(rep: dict) -> str:
    lines = [
        f"Slot engine benchmark ({'quick' if rep['quick'] else 'full'} run, "
        f"{rep['machine']['cpus']} CPUs, Python {rep['machine']['python']}, load average "
        f"{rep['machine']['load_average_before_after'][0]} before / "
        f"{rep['machine']['load_average_before_after'][1]} after): "
        f"8 providers, 12 chairs, 3 rooms, {rep['clinic']['booked_fraction']:.0%} booked, "
        "5-minute grid, 14-day window; per query the median of 3 runs.",
        "",
        "| scenario | queries | median ms | p95 ms | numpy lower bound ms | ratio | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rep["scenarios"]:
        target = f"≤ {r['target_median_ms']:g} ms" if "target_median_ms" in r else "-"
        met = ("yes" if r["target_met"] else "NO") if "target_met" in r else "-"
        lines.append(
            f"| {r['scenario']} | {r['queries']} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['lower_bound_median_ms']:.2f} | {r['ratio_to_lower_bound']:.1f}x | {target} | "
            f"{met} |"
        )
    lines += [
        "",
        "Doctor time: the same clinic and queries with time patterns "
        + ", ".join(f"{k} {v}" for k, v in rep["doctor_time"]["patterns"].items())
        + " (busy time unchanged), each query timed against itself without patterns:",
        "",
        "| scenario | queries | median ms | p95 ms | without patterns ms | ratio | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rep["doctor_time"]["scenarios"]:
        lines.append(
            f"| {r['scenario']} | {r['queries']} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['without_patterns_median_ms']:.2f} | {r['ratio_to_without_patterns']:.1f}x | "
            f"≤ {r['target_median_ms']:g} ms, ≤ {r['target_ratio']:g}x | "
            f"{'yes' if r['target_met'] else 'NO'} |"
        )
    assistants = rep["assistants"]
    lines += [
        "",
        f"Assistants: the same clinic and queries plus {assistants['assistants']} assistants "
        f"(booked like the other resources); {', '.join(assistants['needs_assistant'])} need one, "
        f"check-ups one of {assistants['qualified_for_checkup']}; each query timed against "
        "itself without assistants:",
        "",
        "| scenario | queries | median ms | p95 ms | without assistants ms | ratio | target "
        "| met |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in assistants["scenarios"]:
        lines.append(
            f"| {r['scenario']} | {r['queries']} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['without_assistants_median_ms']:.2f} | {r['ratio_to_without_assistants']:.1f}x "
            f"| ≤ {r['target_median_ms']:g} ms, ≤ {r['target_ratio']:g}x | "
            f"{'yes' if r['target_met'] else 'NO'} |"
        )
    lines += [
        "",
        "Cost against horizon (median ms; per day of horizon in brackets):",
        "",
        "| days | (a) availability | (b) scan + adjustment | (c) best fit top-10 | lower bound |",
        "|---:|---:|---:|---:|---:|",
    ]
    for e in rep["horizon"]:
        lines.append(
            f"| {e['days']} | {e['a_median_ms']:.2f} ({e['a_ms_per_day']:.3f}) | "
            f"{e['b_median_ms']:.2f} ({e['b_ms_per_day']:.3f}) | "
            f"{e['c_median_ms']:.2f} ({e['c_ms_per_day']:.3f}) | {e['lower_bound_median_ms']:.2f} |"
        )
    growth = rep["horizon_growth"]
    lines += [
        "",
        "Growth exponent (slope of log cost against log days; 1.0 is linear, met when <= 1.1): "
        + ", ".join(
            f"({k}) {g['exponent']:.2f} {'yes' if g['at_most_linear'] else 'NO'}"
            for k, g in growth.items()
        ),
        "",
        f"Total wall time {rep['wall_seconds']} s.",
        "",
    ]
    return "\n".join(lines)
