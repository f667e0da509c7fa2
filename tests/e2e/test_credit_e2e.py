"""End-to-end in a real headless Chromium for the credit-management pages: from Collections to
a customer's drill-down and back, a bookmarked customer URL, the worklist exported as CSV and
Excel, and the other credit pages drawn. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.e2e.support import ARTIFACTS, heading, no_error, settle, shot

pytestmark = pytest.mark.e2e


def test_from_collections_to_a_customer_and_back(page, server):
    page.goto(server + "/collections")
    settle(page, "Liste de travail")
    no_error(page)
    assert heading(page).startswith("Recouvrement")
    shot(page, "credit_collections")
    link = page.locator('a[href*="customer?customer="]').first
    href = link.get_attribute("href")
    customer = re.search(r"customer=([^&]+)", href).group(1)
    link.click()
    settle(page, f"Client {customer}")
    no_error(page)
    assert f"customer={customer}" in page.url
    assert heading(page).startswith(f"Client {customer}")
    page.get_by_text("Balance âgée du client").first.wait_for()
    shot(page, "credit_customer")
    page.get_by_text("Retour au recouvrement").first.click()
    settle(page, "Liste de travail")
    no_error(page)
    assert heading(page).startswith("Recouvrement")
    shot(page, "credit_collections_back")


def test_a_bookmarked_customer_url_opens_its_drill_down(page, server):
    page.goto(server + "/customer?customer=C00561")
    settle(page, "Client C00561")
    no_error(page)
    assert heading(page).startswith("Client C00561")
    page.get_by_text("Score de risque").first.wait_for()
    shot(page, "credit_customer_bookmark")


def test_the_worklist_is_exported_as_csv_and_excel(page, server, tmp_path):
    page.goto(server + "/collections")
    settle(page, "Liste de travail")
    no_error(page)
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
    no_error(page)
    shot(page, f"credit_{path}")
