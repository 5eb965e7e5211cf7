"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright.

Without Chromium the browser tests skip locally; with SLOTWISE_REQUIRE_BROWSER=1 (set by
.ci/run) a missing browser is a failure, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("SLOTWISE_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("Chromium is not installed")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def update_docs() -> bool:
    """SLOTWISE_UPDATE_DOCS=1 refreshes the README's screenshots in docs/ from this run; other
    runs leave the tracked files alone."""
    return os.environ.get("SLOTWISE_UPDATE_DOCS") == "1"


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
