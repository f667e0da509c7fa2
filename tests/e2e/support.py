"""What the browser tests share: the Streamlit server they start, and how they wait for a page,
check it and keep its screenshot (in tests/artifacts/)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 180_000
START_TIMEOUT_S = 90


def require_chromium() -> None:
    """Skip without Debian's chromium (fail on CI, where it must be there)."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: the end-to-end tests need Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(workspace: Path, workdir: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port against the workspace file ``workspace``; its URL
    once the server answers its health check (no browser session has been opened yet)."""
    port = free_port()
    env = {**os.environ, "ENCOURS_WORKSPACE": str(workspace)}
    log_path = workdir / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text(errors="replace"))
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def copy_workspace(sample: Path, workdir: Path) -> Path:
    """A private copy of the prepared sample workspace in ``workdir``."""
    path = workdir / "encours.duckdb"
    shutil.copy(sample, path)
    return path


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def settle(page, ready: str | None = None) -> None:
    """Wait until Streamlit has finished drawing: the ``ready`` text visible, no script
    running, no skeleton, and the number of elements stable for two seconds."""
    page.wait_for_selector('[data-testid="stApp"]')
    if ready:
        page.get_by_text(ready).first.wait_for()
    last, stable, deadline = -1, 0, time.monotonic() + TIMEOUT_MS / 1000
    while stable < 4 and time.monotonic() < deadline:
        count = page.evaluate("() => document.querySelectorAll('[data-testid]').length")
        running = page.locator('[data-testid="stStatusWidget"]').count()
        busy = page.locator('[data-testid="stSkeleton"]').count()
        stable = stable + 1 if count == last and not busy and not running else 0
        last = count
        time.sleep(0.5)


def no_error(page) -> None:
    """No exception box and no page-error sentence of the shell."""
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("n'a pas pu être affichée").count() == 0
    assert page.get_by_text("could not be shown").count() == 0


def heading(page) -> str:
    """The text of the page's first level-1 heading."""
    return page.locator("h1").first.inner_text()
