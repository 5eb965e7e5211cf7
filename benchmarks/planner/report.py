"""The markdown table and the PNG plots (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

ROWS: tuple[tuple[str, str, str], ...] = (
    ("chair utilisation", "chair_utilisation", "pct"),
    ("assistant utilisation", "assistant_utilisation", "pct"),
    ("provider time used / provider working time", "provider_utilisation", "pct"),
    ("patients seen per orthodontist-day", "patients_per_orthodontist_day", "x"),
    ("booked / turned away", "", "booked"),
    ("booked minutes", "booked_minutes", "int"),
    ("booked provider minutes", "provider_booked_minutes", "int"),
    ("short idle gaps (count / min)", "", "frag"),
    ("days to appointment, median / p90", "", "wait"),
    ("per request ms, median / p95", "", "ms"),
    ("per request CPU ms, median", "request_cpu_ms_median", "x"),
    ("policy wall time s", "wall_seconds", "f1"),
    ("process peak RSS MB", "peak_rss_mb", "f0"),
    ("double bookings (recount)", "double_bookings", "int"),
)


def _f(v: Any, kind: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "int":
        return f"{int(v):,}"
    if kind == "f1":
        return f"{v:.1f}"
    if kind == "f0":
        return f"{v:.0f}"
    return f"{v:.2f}"


def _cell(m: dict[str, Any], key: str, kind: str) -> str:
    if kind == "booked":
        return f"{m['booked']} / {m['turned_away']}"
    if kind == "frag":
        return f"{m['short_gaps']} / {m['short_gap_minutes']:.0f}"
    if kind == "wait":
        med, p90 = m["days_to_appointment_median"], m["days_to_appointment_p90"]
        return f"{_f(med, 'f1')} / {_f(p90, 'f1')}"
    if kind == "ms":
        return f"{_f(m['request_ms_median'], 'x')} / {_f(m['request_ms_p95'], 'x')}"
    return _f(m.get(key), kind)


def markdown(r: dict[str, Any]) -> str:
    sc = r["scenario"]
    pol = r["policies"]
    names = list(pol)
    load = f", {sc['load']:.0%} demand load" if sc.get("load") is not None else ""
    assistants = f", {sc['assistants']} assistants" if sc.get("assistants") else ""
    lines = [
        f"Planner benchmark: scenario `{sc['name']}` (seed {sc['seed']}, "
        f"{sc['weeks']} week(s){load}: "
        f"{sc['requests']} requests, {sc['providers']} providers, {sc['chairs']} chairs, "
        f"{sc['rooms']} rooms{assistants}), {r['machine']['cpus']} CPUs, "
        f"Python {r['machine']['python']}.",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label, key, kind in ROWS:
        lines.append(f"| {label} | " + " | ".join(_cell(pol[p], key, kind) for p in names) + " |")
    opt = pol.get("offline-optimal")
    if opt:
        lines += [
            "",
            f"Offline CP-SAT: {opt['offline_status']} (best schedule from "
            f"{opt.get('offline_incumbent', 'cp-sat')}), "
            f"{opt['offline_objective_minutes'] or 0:,.0f} "
            f"booked minutes, proven bound {opt['offline_bound_minutes']:,.0f}, gap "
            f"{_f(opt['offline_gap'], 'pct')} after {opt['offline_solve_seconds']:.1f} s on "
            f"{opt['offline_workers']} workers (limit {opt['offline_time_limit_seconds']:g} s; "
            f"model built in {opt['offline_build_seconds']:.1f} s: {opt['offline_variables']:,} "
            f"variables, {opt['offline_constraints']:,} constraints; warm start from "
            f"{opt.get('offline_warm_start') or 'nothing'}, {opt['offline_hinted_visits']} visits "
            f"hinted). {opt['offline_requests_cancelled_left_out']} requests that cancel later are "
            f"left out with hindsight; {opt['offline_requests_without_any_start']} have no "
            "feasible start at all (their window is closed or cut by the horizon); the "
            f"{opt['offline_requests_modelled']} that have one come to "
            f"{opt.get('offline_modelled_minutes') or 0:,} minutes, the bound no model can "
            "exceed.",
        ]
    t = r["targets"]
    if t:
        lines += ["", "| target | measured | required | met |", "|---|---:|---:|:---:|"]
        for key, label in (
            ("best_fit_minus_first_available_chair_pp", "best-fit minus first-available, chair pp"),
            ("best_fit_recovers_of_gap_to_offline", "best-fit share of the gap to offline"),
            (
                "doctor_time_patients_per_orthodontist_day",
                "patients per orthodontist-day, patterns / whole-appointment",
            ),
            (
                "best_fit_closes_booked_minutes_gap",
                "best-fit share of the booked-minutes gap first-available to offline",
            ),
            ("offline_gap_to_bound", "offline gap to its proven bound"),
            ("best_fit_request_ms_median", "best-fit per-request median"),
        ):
            if key not in t:
                continue
            x = t[key]
            v = x["value"]
            if key == "doctor_time_patients_per_orthodontist_day":
                shown = "-" if v is None else f"{v:.2f}x"
                shown += f" ({x['patterns']:.1f} vs {x['whole_appointment']:.1f})"
            elif key == "best_fit_closes_booked_minutes_gap":
                bm = x["booked_minutes"]
                shown = "-" if v is None else f"{100 * v:.1f}%"
                shown += (
                    f" of {x['gap_minutes']:,} min (first-available {bm['first-available']:,}, "
                    f"best-fit {bm['best-fit']:,}, offline {bm['offline-optimal']:,}, "
                    f"bound {x['bound_minutes'] or 0:,.0f})"
                )
            elif key.endswith("_pp"):
                shown = f"{v:+.2f} pp"
            elif key.endswith("_ms_median"):
                shown = f"{v:.1f} ms"
                if x.get("cpu_ms_median") is not None:
                    shown += f" (CPU {x['cpu_ms_median']:.1f} ms)"
            elif v is None:
                pp = x["offline_minus_first_available_chair_pp"]
                shown = f"- (offline is not above first-available: {pp:+.2f} pp)"
            else:
                shown = f"{100 * v:.1f}%"
                if key == "best_fit_recovers_of_gap_to_offline":
                    shown += f" of {x['offline_minus_first_available_chair_pp']:.2f} pp"
            lines.append(f"| {label} | {shown} | {x['target']} | {'yes' if x['met'] else 'NO'} |")
    lines += waitlist_lines(r.get("waitlist") or {})
    return "\n".join(lines)


def waitlist_lines(w: dict[str, Any]) -> list[str]:
    """The waitlist table: each policy with and without the list on the same stream."""
    if not w:
        return []
    names = list(w)
    accept = w[names[0]]["accept_probability"]
    rows: tuple[tuple[str, Any], ...] = (
        (
            "recovered booked minutes (requests)",
            lambda x: f"{x['recovered_booked_minutes']:+,} ({x['recovered_booked']:+})",
        ),
        ("cancellations (minutes)", lambda x: f"{x['cancellations']} ({x['cancelled_minutes']:,})"),
        (
            "of which some waiting request fits: cancellations (minutes)",
            lambda x: f"{x['cancellations_fittable']} ({x['fittable_cancelled_minutes']:,})",
        ),
        (
            "fittable cancelled minutes rebooked",
            lambda x: (
                f"{x['rebooked_cancelled_minutes']:,} ({_f(x['fill_rate_of_fittable'], 'pct')})"
            ),
        ),
        (
            "waiting: turned away / booked a later day",
            lambda x: f"{x['joined_turned_away']} / {x['joined_booked_later']}",
        ),
        ("offers / accepted", lambda x: f"{x['offers']} / {x['accepted']}"),
        ("turned-away requests booked from the list", lambda x: str(x["recovered_requests"])),
        (
            "moved earlier; days brought forward, total / median",
            lambda x: (
                f"{x['moved_earlier']}; {x['days_brought_forward_total']} / "
                f"{_f(x['days_brought_forward_median'], 'f1')}"
            ),
        ),
        (
            "their later time re-offered: minutes / refilled",
            lambda x: f"{x['moved_away_minutes']:,} / {x['moved_away_refilled_minutes']:,}",
        ),
        (
            f"target: {w[names[0]]['target']}",
            lambda x: (
                "yes"
                if x["met"]
                else ("- (nothing fittable)" if x["fill_rate_of_fittable"] is None else "NO")
            ),
        ),
    )
    lines = [
        "",
        f"Waitlist (offers taken with probability {accept:g}; each policy with and without the "
        "list on the same stream):",
        "",
        "| waitlist | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(w[p]) for p in names) + " |")
    return lines


def plot_all(r: dict[str, Any], out_dir: Path, name: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    paths = []
    pol = r["policies"]
    names = list(pol)
    colors = {
        "first-available": "#9aa5b1",
        "whole-appointment": "#d08c60",
        "best-fit": "#2b7de9",
        "best-fit-realistic": "#7fb3f5",
        "offline-optimal": "#1f9d55",
    }

    fig, ax = plt.subplots(figsize=(7.5, 4))
    x = np.arange(len(names))
    chair = [100 * pol[p]["chair_utilisation"] for p in names]
    prov = [100 * pol[p]["provider_utilisation"] for p in names]
    b1 = ax.bar(x - 0.2, chair, 0.4, label="chairs", color=[colors.get(p, "#888") for p in names])
    b2 = ax.bar(
        x + 0.2,
        prov,
        0.4,
        label="providers",
        color=[colors.get(p, "#888") for p in names],
        alpha=0.55,
        hatch="//",
    )
    ax.bar_label(b1, fmt="%.1f%%", fontsize=8)
    ax.bar_label(b2, fmt="%.1f%%", fontsize=8)
    ax.set_xticks(x, names)
    ax.set_ylabel("booked share of working time")
    ax.set_ylim(0, 100)
    sc = r["scenario"]
    ax.set_title(
        f"Utilisation by policy - {sc['name']}, {sc['weeks']} week(s), {sc['requests']} requests"
    )
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    paths.append(out_dir / f"{name}-utilisation.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    heat = r["chair_day_heatmap"]
    n_chairs = len(heat[names[0]]["chairs"])
    fig, axes = plt.subplots(
        len(names),
        1,
        figsize=(10, 1.0 + len(names) * (0.5 + 0.16 * n_chairs)),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    im = None
    for ax, p in zip(axes[:, 0], names, strict=True):
        h = heat[p]
        data = np.array(h["booked_fraction"], dtype=float)
        im = ax.imshow(
            100 * data, aspect="auto", cmap="viridis", vmin=0, vmax=100, interpolation="nearest"
        )
        ax.set_title(p, fontsize=9, loc="left")
        step = max(1, n_chairs // 12)
        ax.set_yticks(range(0, n_chairs, step), h["chairs"][::step], fontsize=6)
        days = h["days"]
        dstep = max(1, len(days) // 14)
        ax.set_xticks(range(0, len(days), dstep), [d[5:] for d in days[::dstep]], fontsize=7)
    if im is not None:
        fig.colorbar(im, ax=axes[:, 0].tolist(), label="% of open time booked", shrink=0.8)
    fig.suptitle("Chair x day: booked share of the chair's open time (white = closed)", fontsize=10)
    paths.append(out_dir / f"{name}-heatmap.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.8))
    for p in names:
        series = r["booked_minutes_by_day"][p]
        days = list(series)
        ax.plot(
            range(len(days)),
            [series[d] / 60 for d in days],
            marker="o",
            ms=3,
            label=p,
            color=colors.get(p),
        )
    days = list(r["booked_minutes_by_day"][names[0]])
    step = max(1, len(days) // 14)
    ax.set_xticks(range(0, len(days), step), [d[5:] for d in days[::step]], fontsize=8)
    ax.set_ylabel("booked hours that day")
    ax.set_title("Booked time per day of the horizon")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    paths.append(out_dir / f"{name}-booked-minutes.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
