"""``slotwise plan ...``: simulate policies, compare templates, export scenarios.

slotwise plan simulate --scenario medium --weeks 4 --policy all [--out DIR]
slotwise plan simulate --scenario small --policy best-fit --via-api URL --email E --password P
slotwise plan simulate --scenario ortho --load 1.2 --waitlist [--waitlist-accept 0.6]
slotwise plan compare-templates A.json B.json --scenario medium
slotwise plan export --scenario medium --out medium.json   (or .csv, or --template-only)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from benchmarks.scenarios import PRESETS, ScenarioError, generate, load, load_template
from benchmarks.scenarios.model import Scenario


def scenario_from(args: argparse.Namespace) -> Scenario:
    name = args.scenario
    if name in PRESETS:
        return generate(name, weeks=args.weeks, load=args.load, seed=args.seed)
    s = load(Path(name))
    if args.weeks:
        s = s.truncated(args.weeks)
    return s


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario",
        default="medium",
        help=f"a preset ({', '.join(PRESETS)}) or a scenario .json / request .csv file",
    )
    p.add_argument("--weeks", type=int, help="horizon in weeks (presets: default per preset)")
    p.add_argument("--load", type=float, help="demand load for presets (default 0.9)")
    p.add_argument("--seed", type=int, help="generator seed for presets (default: the preset's)")
    p.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    p.add_argument("--offline-seconds", type=float, default=60.0, help="CP-SAT time limit")
    p.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _simulate(args: argparse.Namespace) -> int:
    from benchmarks.planner.run import run, write

    s = scenario_from(args)
    if args.waitlist_accept is not None:
        if not 0 <= args.waitlist_accept <= 1:
            print("error: --waitlist-accept is a probability from 0 to 1", file=sys.stderr)
            return 2
        s = replace(s, waitlist_accept=args.waitlist_accept)
    name = args.name or f"plan-{s.name}-{s.weeks}w"
    if args.via_api and args.waitlist:
        print("error: --waitlist runs in the simulator only, not --via-api", file=sys.stderr)
        return 2
    if args.via_api:
        from benchmarks.planner.replay import replay_all

        if not (args.email and args.password):
            print("error: --via-api needs --email and --password", file=sys.stderr)
            return 2
        r = replay_all(
            s, args.policy, args.via_api, args.email, args.password, progress=not args.quiet
        )
        name += "-api"
    else:
        r = run(
            s,
            args.policy,
            offline_seconds=args.offline_seconds,
            workers=args.workers,
            progress=not args.quiet,
            waitlist=args.waitlist,
        )
    paths = write(r, args.out, name, plots=not args.no_plots)
    print((args.out / f"{name}.md").read_text())
    for p in paths:
        print(f"wrote {p}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from benchmarks.planner.report import markdown
    from benchmarks.planner.run import run, write

    base = scenario_from(args)
    tables = []
    # Two files with the same name (from different folders) get A-/B- labels so that neither
    # run's output overwrites the other's.
    same = args.a.stem == args.b.stem
    labels = [f"A-{args.a.stem}", f"B-{args.b.stem}"] if same else [args.a.stem, args.b.stem]
    for path, label in zip((args.a, args.b), labels, strict=True):
        hours, slots = load_template(path)
        s = base.with_template(hours, slots, name=f"{base.name}+{label}")
        r = run(
            s,
            args.policy,
            offline_seconds=args.offline_seconds,
            workers=args.workers,
            progress=not args.quiet,
        )
        name = f"plan-{base.name}-{base.weeks}w-{label}"
        write(r, args.out, name, plots=not args.no_plots)
        tables.append((label, r.results))
    lines = [
        f"Template comparison on `{base.name}` ({base.weeks} week(s), {len(base.requests)} "
        "requests, the same demand stream):",
        "",
        "| policy | metric | " + " | ".join(t for t, _ in tables) + " | difference |",
        "|---|---|" + "---:|" * (len(tables) + 1),
    ]
    for p in tables[0][1]["policies"]:
        for key, label, pct in (
            ("chair_utilisation", "chair utilisation", True),
            ("provider_utilisation", "provider utilisation", True),
            ("booked", "booked", False),
            ("turned_away", "turned away", False),
            ("booked_minutes", "booked minutes", False),
            ("short_gaps", "short idle gaps", False),
            ("days_to_appointment_median", "median days to appointment", False),
        ):
            vals = [r["policies"][p][key] for _, r in tables]
            fmt = (
                (lambda v: f"{100 * v:.1f}%")
                if pct
                else (lambda v: f"{v:,.1f}".rstrip("0").rstrip("."))
            )
            diff = (
                f"{100 * (vals[1] - vals[0]):+.1f} pp"
                if pct
                else f"{vals[1] - vals[0]:+,.1f}".rstrip("0").rstrip(".")
            )
            lines.append(f"| {p} | {label} | " + " | ".join(fmt(v) for v in vals) + f" | {diff} |")
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"compare-{base.name}-{labels[0]}-vs-{labels[1]}.md"
    out.write_text(text + "\n\n" + "\n\n".join(markdown(r) for _, r in tables) + "\n")
    print(text)
    print(f"wrote {out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from benchmarks.scenarios.io import save_csv, save_json, template_dict

    s = scenario_from(args)
    if args.template_only:
        args.file.write_text(json.dumps(template_dict(s), indent=1) + "\n")
    elif args.file.suffix.lower() == ".csv":
        clinic = save_csv(s, args.file)
        print(f"wrote {clinic}")
    else:
        save_json(s, args.file)
    print(f"wrote {args.file}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    plan = sub.add_parser("plan", help="planner: compare booking policies and templates")
    psub = plan.add_subparsers(dest="plan_command", required=True)

    sim = psub.add_parser("simulate", help="replay a demand stream through booking policies")
    _common(sim)
    sim.add_argument(
        "--policy",
        action="append",
        default=None,
        help="all (default), first-available, best-fit, best-fit-realistic, "
        "offline-optimal; repeatable",
    )
    sim.add_argument("--name", help="output file stem (default plan-<scenario>-<weeks>w)")
    sim.add_argument("--via-api", metavar="URL", help="book through a running Slotwise server")
    sim.add_argument(
        "--email", help="a platform operator's account for --via-api (it opens a fresh clinic)"
    )
    sim.add_argument("--password", help="its password")
    sim.add_argument(
        "--waitlist",
        action="store_true",
        help="also run first-available and best-fit with a waitlist: cancelled time is offered "
        "to requests turned away or booked a later day than they wanted",
    )
    sim.add_argument(
        "--waitlist-accept",
        type=float,
        help="chance a waiting patient takes an offered time (default: the scenario's, 0.6)",
    )
    sim.set_defaults(func=main, plan_func=_simulate)

    cmp = psub.add_parser("compare-templates", help="the same demand through two templates")
    cmp.add_argument("a", type=Path, help="template A (.json)")
    cmp.add_argument("b", type=Path, help="template B (.json)")
    _common(cmp)
    cmp.add_argument(
        "--policy",
        action="append",
        default=None,
        help="policies to run (default first-available and best-fit)",
    )
    cmp.set_defaults(func=main, plan_func=_compare)

    exp = psub.add_parser("export", help="write a scenario (or just its template) to a file")
    exp.add_argument("file", type=Path, help=".json or .csv (+ .clinic.json)")
    exp.add_argument("--scenario", default="medium")
    exp.add_argument("--weeks", type=int)
    exp.add_argument("--load", type=float)
    exp.add_argument("--seed", type=int)
    exp.add_argument(
        "--template-only",
        action="store_true",
        help="only hours and template slots, for compare-templates",
    )
    exp.set_defaults(func=main, plan_func=_export)


def main(args: argparse.Namespace) -> int:
    """Entry from ``api.cli``: fills defaults, runs, and turns bad input into a message."""
    if getattr(args, "policy", None) is None:
        args.policy = (
            ["all"] if args.plan_command == "simulate" else ["first-available", "best-fit"]
        )
    try:
        return int(args.plan_func(args))
    except (ScenarioError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
