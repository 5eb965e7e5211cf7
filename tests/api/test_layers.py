"""Layers point one way: solver <- api, solver <- benchmarks, and api never imports benchmarks.

The `slotwise` command is still whole: the planner adds `plan` through an entry point."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import api

BIN = Path(sys.executable).parent
API_ROOT = Path(api.__file__).parent

# Every api module imported, and the whole `slotwise` parser built, with no command registered
# from outside: whatever benchmarks module then sits in sys.modules, api pulled in itself.
SERVICE_ALONE = """
import importlib, pkgutil, sys
import importlib.metadata as metadata
metadata.entry_points = lambda **kw: []
import api, api.main, api.cli
for info in pkgutil.walk_packages(api.__path__, "api."):
    if ".migrations" not in info.name:
        importlib.import_module(info.name)
api.cli.build_parser()
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] == "benchmarks")))
"""


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_the_service_and_its_command_load_without_benchmarks() -> None:
    out = _run([sys.executable, "-c", SERVICE_ALONE])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"api imported {out.stdout.strip()}"


def test_no_api_module_imports_benchmarks_even_inside_a_function() -> None:
    offenders = []
    for path in sorted(API_ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(API_ROOT.parent)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] == "benchmarks"
            ]
    assert offenders == []


def test_slotwise_plan_help_lists_the_planner_commands() -> None:
    out = _run([str(BIN / "slotwise"), "plan", "--help"])
    assert out.returncode == 0, out.stderr
    for command in ("simulate", "compare-templates", "export"):
        assert command in out.stdout


def test_slotwise_help_lists_plan_beside_the_service_commands() -> None:
    out = _run([str(BIN / "slotwise"), "--help"])
    assert out.returncode == 0, out.stderr
    for command in ("serve", "db", "demo", "audit", "users", "patients", "plan"):
        assert command in out.stdout
