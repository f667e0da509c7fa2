"""End-to-end in a real headless Chromium: every page, an upload, the language switch and the
drill from the overview into a customer. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.support import ROOT, TIMEOUT_MS, no_error, settle, shot

DOCS = ROOT / "docs"

pytestmark = pytest.mark.e2e


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
