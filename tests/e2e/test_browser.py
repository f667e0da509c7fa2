"""End-to-end in a real headless Chromium: every page, an upload, the language switch and the
drill from the overview into a customer. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
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
DOCS = ROOT / "docs"
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
TIMEOUT_MS = 120_000

pytestmark = pytest.mark.e2e


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which("chromium"):
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
    workdir = tmp_path_factory.mktemp("e2e")
    path = build_sample_workspace(workdir / "encours.duckdb")
    port = _free_port()
    env = {**os.environ, "ENCOURS_WORKSPACE": str(path)}
    log = open(workdir / "streamlit.log", "wb")  # noqa: SIM115
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
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "streamlit.log").read_text(errors="replace"))
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def settle(page, ready: str | None = None) -> None:
    """Wait until Streamlit has finished drawing: ``ready`` text visible, no skeleton, and
    the number of elements stable for two seconds."""
    page.wait_for_selector('[data-testid="stApp"]')
    if ready:
        page.get_by_text(ready).first.wait_for()
    last, stable, deadline = -1, 0, time.monotonic() + TIMEOUT_MS / 1000
    while stable < 4 and time.monotonic() < deadline:
        count = page.evaluate("() => document.querySelectorAll('[data-testid]').length")
        busy = page.locator('[data-testid="stSkeleton"]').count()
        stable = stable + 1 if count == last and not busy else 0
        last = count
        time.sleep(0.5)


def no_error(page) -> None:
    """No exception box and no page-error sentence of the shell."""
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("n'a pas pu être affichée").count() == 0
    assert page.get_by_text("could not be shown").count() == 0


PAGES = [
    ("overview", "", "Vue d'ensemble", "Rapport mensuel"),
    ("aged_balance", "aged_balance", "Balance âgée", "Matrice de roulement"),
    ("concentration", "concentration", "Concentration du risque client", "Repères indicatifs"),
    ("losses", "losses", "Pertes, créances douteuses et provisions", "Coût réel d'un impayé"),
    ("data", "data", "Données", "Contrôles de qualité"),
    ("customer", "customer?customer=C00561", "Client C00561", "Client C00561"),
]


@pytest.mark.parametrize(("name", "path", "title", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_opens_in_the_browser_without_an_error(server, page, name, path, title, ready):
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page, ready)
    no_error(page)
    shot(page, f"page-{name}")


def test_the_overview_drills_into_a_customer(server, page):
    page.goto(server)
    link = page.locator('a[href*="customer?customer="]').first
    link.wait_for()
    href = link.get_attribute("href") or ""
    customer = href.split("customer=")[-1]
    link.click()
    page.get_by_role("heading", name=f"Client {customer}").wait_for()
    settle(page, f"Client {customer}")
    assert f"customer={customer}" in page.url
    no_error(page)
    shot(page, "drill-customer")


def test_switching_to_english_changes_the_labels(server, page):
    page.goto(server)
    page.get_by_role("heading", name="Vue d'ensemble").wait_for()
    settle(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="English").click()
    page.get_by_role("heading", name="Overview").wait_for()
    settle(page, "Monthly report")
    assert page.get_by_text("Outstanding").count() > 0
    no_error(page)
    shot(page, "overview-english")


def test_the_readme_screenshot_shows_the_overview_on_the_sample(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        pg.goto(server)
        pg.get_by_role("heading", name="Vue d'ensemble").wait_for()
        settle(pg, "Rapport mensuel")
        no_error(pg)
        assert pg.get_by_text("Encours").count() > 0
        DOCS.mkdir(exist_ok=True)
        pg.screenshot(path=str(DOCS / "screenshot.png"))
    finally:
        context.close()
    assert (DOCS / "screenshot.png").stat().st_size > 10_000


def test_a_file_uploaded_through_the_uploader_becomes_a_dataset(server, page):
    page.goto(f"{server}/data")
    page.get_by_role("heading", name="Données").first.wait_for()
    settle(page)
    page.locator('input[type="file"]').set_input_files(
        str(ROOT / "tests" / "data" / "styles" / "odoo_en.csv")
    )
    page.get_by_text("Correspondance des colonnes").wait_for()
    settle(page)
    shot(page, "upload-mapping")
    page.get_by_role("button", name="Charger", exact=True).click()
    page.get_by_text("10 lignes chargées").first.wait_for()
    settle(page)
    no_error(page)
    shot(page, "upload-loaded")
