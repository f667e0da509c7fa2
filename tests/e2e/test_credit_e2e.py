"""End-to-end in a real headless Chromium for the credit-management pages: from Collections to
a customer's drill-down and back, a bookmarked customer URL, the worklist exported as CSV and
Excel, and the other credit pages drawn. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pages.conftest import build_sample_workspace

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

pytestmark = pytest.mark.e2e


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: the end-to-end tests need Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port against a copy of the sample; its URL."""
    _require_chromium()
    workdir = tmp_path_factory.mktemp("credit_e2e")
    path = build_sample_workspace(workdir / "encours.duckdb")
    port = _free_port()
    env = {**os.environ, "ENCOURS_WORKSPACE": str(path)}
    log_path = workdir / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
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
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text(errors="replace"))
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def warm(browser, server) -> None:
    """Open the app once at its root, so that the server runs ``app.py``'s navigation before
    the tests open deep links (on a fresh server, a first session opened on a deep link runs
    the page file alone, through Streamlit's discovery of the ``pages/`` folder)."""
    context = browser.new_context()
    first = context.new_page()
    first.set_default_timeout(TIMEOUT_MS)
    first.goto(server)
    settle(first, "Encours")
    context.close()


@pytest.fixture
def page(browser, warm):
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def settle(page, ready: str) -> None:
    """Wait for the ``ready`` text, then until the page stops changing and shows no error."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.get_by_text(ready, exact=False).first.wait_for()
    last, stable, deadline = -1, 0, time.monotonic() + TIMEOUT_MS / 1000
    while stable < 4 and time.monotonic() < deadline:
        count = page.evaluate("() => document.querySelectorAll('[data-testid]').length")
        running = page.locator('[data-testid="stStatusWidget"]').count()
        busy = page.locator('[data-testid="stSkeleton"]').count()
        stable = stable + 1 if count == last and not busy and not running else 0
        last = count
        time.sleep(0.5)
    assert page.locator('[data-testid="stException"]').count() == 0


def heading(page) -> str:
    return page.locator("h1").first.inner_text()


def test_from_collections_to_a_customer_and_back(page, server):
    page.goto(server + "/collections")
    settle(page, "Liste de travail")
    assert heading(page).startswith("Recouvrement")
    shot(page, "credit_collections")
    link = page.locator('a[href*="customer?customer="]').first
    href = link.get_attribute("href")
    customer = re.search(r"customer=([^&]+)", href).group(1)
    link.click()
    settle(page, f"Client {customer}")
    assert f"customer={customer}" in page.url
    assert heading(page).startswith(f"Client {customer}")
    page.get_by_text("Balance âgée du client").first.wait_for()
    shot(page, "credit_customer")
    page.get_by_text("Retour au recouvrement").first.click()
    settle(page, "Liste de travail")
    assert heading(page).startswith("Recouvrement")
    shot(page, "credit_collections_back")


def test_a_bookmarked_customer_url_opens_its_drill_down(page, server):
    page.goto(server + "/customer?customer=C00561")
    settle(page, "Client C00561")
    assert heading(page).startswith("Client C00561")
    page.get_by_text("Score de risque").first.wait_for()
    shot(page, "credit_customer_bookmark")


def test_the_worklist_is_exported_as_csv_and_excel(page, server, tmp_path):
    page.goto(server + "/collections")
    settle(page, "Liste de travail")
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter la liste (CSV)").click()
    csv_path = tmp_path / "worklist.csv"
    info.value.save_as(csv_path)
    text = csv_path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Rang;Étape;Code client")
    assert len(lines) > 100
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter la liste (Excel)").click()
    xlsx_path = tmp_path / "worklist.xlsx"
    info.value.save_as(xlsx_path)
    assert xlsx_path.read_bytes()[:2] == b"PK"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(csv_path, ARTIFACTS / "credit_worklist.csv")
    shutil.copy(xlsx_path, ARTIFACTS / "credit_worklist.xlsx")


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("customers", "Rechercher (code ou nom)"),
        ("forecast", "Encaissements attendus"),
        ("history", "Cohortes de facturation"),
    ],
)
def test_the_other_credit_pages_draw_without_error(page, server, path, ready):
    page.goto(f"{server}/{path}")
    settle(page, ready)
    shot(page, f"credit_{path}")
