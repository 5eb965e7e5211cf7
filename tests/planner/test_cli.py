"""``slotwise plan ...`` end to end on the small preset."""

from __future__ import annotations

import json
from pathlib import Path

from api.cli import main


def test_plan_simulate_writes_json_table_and_plots(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(
        [
            "plan",
            "simulate",
            "--scenario",
            "small",
            "--weeks",
            "1",
            "--policy",
            "first-available",
            "--policy",
            "best-fit",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads((tmp_path / "plan-small-1w.json").read_text())
    assert set(data["policies"]) == {"first-available", "best-fit"}
    assert data["scenario"]["weeks"] == 1
    table = (tmp_path / "plan-small-1w.md").read_text()
    assert "| chair utilisation |" in table and "best-fit per-request median" in table
    for plot in ("utilisation", "heatmap", "booked-minutes"):
        png = tmp_path / f"plan-small-1w-{plot}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in capsys.readouterr().out


def test_plan_compare_templates_runs_the_same_demand_twice(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "standard.json", tmp_path / "short.json"
    assert main(["plan", "export", str(a), "--scenario", "small", "--template-only"]) == 0
    t = json.loads(a.read_text())
    # Template B: every chair closes at 12:00, so it must book less.
    for rid, week in t["hours"].items():
        if rid.startswith("chair"):
            t["hours"][rid] = {d: ["08:00-12:00"] for d in week}
    b.write_text(json.dumps(t))
    code = main(
        [
            "plan",
            "compare-templates",
            str(a),
            str(b),
            "--scenario",
            "small",
            "--weeks",
            "1",
            "--policy",
            "best-fit",
            "--out",
            str(tmp_path),
            "--quiet",
            "--no-plots",
        ]
    )
    assert code == 0
    ra = json.loads((tmp_path / "plan-small-1w-standard.json").read_text())
    rb = json.loads((tmp_path / "plan-small-1w-short.json").read_text())
    assert ra["scenario"]["requests"] == rb["scenario"]["requests"]
    assert rb["policies"]["best-fit"]["booked"] < ra["policies"]["best-fit"]["booked"]
    out = capsys.readouterr().out
    assert "| best-fit | booked |" in out
    assert (tmp_path / "compare-small-standard-vs-short.md").exists()


def test_plan_reports_bad_input_as_a_message(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["plan", "simulate", "--scenario", str(tmp_path / "nope.json"), "--quiet"])
    assert code == 2
    assert "no such file" in capsys.readouterr().err
    code = main(["plan", "simulate", "--scenario", "small", "--policy", "random", "--quiet"])
    assert code == 2
    assert "unknown policy 'random'" in capsys.readouterr().err


def test_plan_simulate_with_the_waitlist_reports_both_runs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["plan", "simulate", "--scenario", "small", "--weeks", "2", "--load", "1.2"]
    args += ["--policy", "first-available", "--out", str(tmp_path), "--quiet", "--no-plots"]
    assert main([*args, "--waitlist", "--waitlist-accept", "1"]) == 0
    data = json.loads((tmp_path / "plan-small-2w.json").read_text())
    assert set(data["policies"]) == {"first-available", "first-available+waitlist"}
    assert data["waitlist"]["first-available"]["accept_probability"] == 1.0
    table = (tmp_path / "plan-small-2w.md").read_text()
    assert "| fittable cancelled minutes rebooked |" in table


def test_plan_simulate_refuses_an_acceptance_that_is_no_probability(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["plan", "simulate", "--scenario", "small", "--waitlist", "--waitlist-accept", "1.5"]
    code = main([*args, "--out", str(tmp_path), "--quiet"])
    assert code == 2
    assert "--waitlist-accept is a probability from 0 to 1" in capsys.readouterr().err
