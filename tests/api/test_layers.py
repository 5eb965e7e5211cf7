"""Layers point one way: solver <- api, solver <- benchmarks, and api never imports benchmarks.

The `slotwise` command is still whole: the planner adds `plan` through an entry point. Inside
`api`, a module uses only another module's public names: what two modules share has a public
home (`api/booking/checks.py` for the booking rules), not an underscore reach-in."""

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


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def underscore_reach_ins(source: str, where: str) -> list[str]:
    """Each use in this source of a private name that another `api` module defines."""
    tree = ast.parse(source, where)
    found: list[str] = []
    imported: set[str] = set()  # local names bound to api modules or their members
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] != "api":
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{where}:{node.lineno} imports {module}.{alias.name}")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "api":
                    imported.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and _root(node) in imported:
            found.append(f"{where}:{node.lineno} uses {ast.unparse(node)}")
    return found


def test_no_api_module_uses_another_modules_underscore_names() -> None:
    offenders = [
        hit
        for path in sorted(API_ROOT.rglob("*.py"))
        for hit in underscore_reach_ins(path.read_text(), str(path.relative_to(API_ROOT.parent)))
    ]
    assert offenders == []


def test_the_reach_in_check_finds_what_the_portal_used_to_do() -> None:
    # api/portal/service.py and api/events/probe.py as they read before api/booking/checks.py.
    old = (
        "import api.booking.service\n"
        "from api.booking import service as booking\n"
        "from api.booking.service import _clinic, to_read\n"
        "from solver.bestfit import _private_helper\n"
        "def plan(session, clinic, part, kind):\n"
        "    api.booking.service._check_duration(kind, 30, 'duration')\n"
        "    booking.__doc__, to_read.__name__, part._replace()\n"
        "    return booking._plan_parts(session, clinic, [part], '')\n"
    )
    assert underscore_reach_ins(old, "old.py") == [
        "old.py:3 imports api.booking.service._clinic",
        "old.py:6 uses api.booking.service._check_duration",
        "old.py:8 uses booking._plan_parts",
    ]


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
