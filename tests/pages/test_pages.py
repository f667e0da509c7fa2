"""Every page on the sample with AppTest: no exception, the figures are the analytics'
figures, the as-of date, the filters and the language change them."""

from __future__ import annotations

from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import i18n, views
from analytics.config import Filters, Settings
from analytics.store import Workspace
from tests.pages.conftest import APP

D = date(2026, 10, 31)
EUR = Filters(currency=("EUR",))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_tiles(path, as_of=D, filters=EUR) -> dict[str, dict]:
    with Workspace(path) as ws:
        out = views.overview_tiles(ws.cursor(), as_of, dataset_id=1, filters=filters)
    return {t["key"]: t for t in out["tiles"]}


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def test_the_overview_opens_on_the_last_month_end_with_the_analytics_figures(app, workspace_file):
    assert app.date_input(key="as_of").value == D
    shown = metrics(app)
    app_ws = None
    del app_ws
    st.cache_resource.clear()
    tiles = expected_tiles(workspace_file)
    assert shown["Encours"] == i18n.fmt_money(tiles["outstanding"]["value"], "fr", "EUR", digits=0)
    assert shown["DSO (période)"] == i18n.fmt_days(tiles["dso"]["value"], "fr")
    assert shown["Part échue"] == i18n.fmt_percent(tiles["overdue_share"]["value"], "fr")
    assert shown["Part des 10 premiers clients"] == i18n.fmt_percent(tiles["top_share"]["value"], "fr")


def test_the_as_of_date_changes_the_overview(app, workspace_file):
    before = metrics(app)["Encours"]
    app.date_input(key="as_of").set_value(date(2026, 6, 30)).run()
    no_exception(app)
    after = metrics(app)["Encours"]
    assert after != before
    st.cache_resource.clear()
    tiles = expected_tiles(workspace_file, as_of=date(2026, 6, 30))
    assert after == i18n.fmt_money(tiles["outstanding"]["value"], "fr", "EUR", digits=0)


def test_a_segment_filter_changes_the_overview(app, workspace_file):
    before = metrics(app)["Encours"]
    app.multiselect(key="f_segment").set_value(["PME"]).run()
    no_exception(app)
    after = metrics(app)["Encours"]
    assert after != before
    st.cache_resource.clear()
    tiles = expected_tiles(workspace_file, filters=Filters(segment=("PME",), currency=("EUR",)))
    assert after == i18n.fmt_money(tiles["outstanding"]["value"], "fr", "EUR", digits=0)


def test_switching_to_english_changes_the_labels_and_the_number_formats(app):
    french = metrics(app)
    assert "Encours" in french and "," in french["DSO (période)"]
    app.selectbox(key="lang").set_value("en").run()
    no_exception(app)
    english = metrics(app)
    assert "Outstanding" in english
    assert english["Outstanding"].startswith("€")
    assert "." in english["DSO (period)"] and english["DSO (period)"].endswith("d")
    assert app.title[0].value == "Overview"


def test_the_aged_balance_totals_row_reconciles_with_the_outstanding(app, workspace_file):
    app.switch_page("pages/aged_balance.py").run()
    no_exception(app)
    table = app.dataframe(key="aged_table").value
    last = table.iloc[-1]
    assert last.iloc[0] == "Total"
    st.cache_resource.clear()
    with Workspace(workspace_file) as ws:
        totals = views.aged_totals(ws.cursor(), D, dataset_id=1, filters=EUR)
        rows = views.aged_balance(ws.cursor(), D, dataset_id=1, filters=EUR)
    assert last.iloc[-1] == i18n.fmt_money(totals["total"], "fr", "EUR")
    assert len(table) == len(rows) + 1


def test_searching_the_aged_balance_narrows_it_to_the_customer(app):
    app.switch_page("pages/aged_balance.py").run()
    app.text_input(key="aged_search").set_value("C00561").run()
    no_exception(app)
    table = app.dataframe(key="aged_table").value
    assert list(table.iloc[:, 0]) == ["C00561", "Total"]


def test_picking_a_customer_in_the_aged_balance_lists_its_invoices(app):
    app.switch_page("pages/aged_balance.py").run()
    app.selectbox(key="aged_customer").set_value("C00561").run()
    no_exception(app)
    invoices = app.dataframe(key="aged_customer_invoices").value
    assert len(invoices) > 0
    assert set(invoices["Code client"]) == {"C00561"}


def test_the_concentration_page_shows_the_analytics_figures_on_each_basis(app, workspace_file):
    app.switch_page("pages/concentration.py").run()
    no_exception(app)
    outstanding = metrics(app)["Indice HHI"]
    st.cache_resource.clear()
    with Workspace(workspace_file) as ws:
        summary = views.concentration_view(ws.cursor(), D, dataset_id=1, filters=EUR)["summary"]
    assert outstanding == i18n.fmt_number(summary["hhi"], "fr", 0)
    app.radio(key="conc_basis").set_value("revenue").run()
    no_exception(app)
    assert metrics(app)["Indice HHI"] != outstanding


def test_the_losses_page_labels_its_ratios_and_follows_the_provision_rates(app):
    app.switch_page("pages/losses.py").run()
    no_exception(app)
    shown = metrics(app)
    assert "Taux de perte 12 mois" in shown
    assert "Entrées en douteux 12 mois / CA" in shown
    before = shown["Provision simulée"]
    app.session_state["provision_rates"] = {">120": views.Decimal("1")}
    app.run()
    no_exception(app)
    assert metrics(app)["Provision simulée"] != before
    assert any("Cette perte exige" in s.value for s in app.success)


def test_the_customer_page_shows_the_customer_given_in_the_url(app):
    app.query_params["customer"] = "C00561"
    app.switch_page("pages/customer.py").run()
    no_exception(app)
    assert app.title[0].value == "Client C00561"
    assert "Total" in metrics(app)


def test_the_data_page_lists_the_datasets_and_deletes_one(app, workspace_file):
    app.switch_page("pages/data.py").run()
    no_exception(app)
    assert len(app.dataframe(key="datasets_table").value) == 1
    assert len(app.dataframe(key="quality_table").value) > 0
    app.button(key="delete_button").click().run()
    no_exception(app)
    assert any("Charger l'exemple" in b.label for b in app.button)


def test_an_empty_workspace_gets_the_sample_on_first_start(tmp_path, monkeypatch):
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(tmp_path / "new.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    no_exception(at)
    assert at.date_input(key="as_of").value == D
    assert "Encours" in metrics(at)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_invalid_bucket_edges_are_reported_and_the_defaults_kept(app):
    app.text_input(key="s_edges").set_value("30, abc").run()
    no_exception(app)
    assert any("Tranches invalides" in e.value for e in app.error)


@pytest.mark.parametrize("edges", ["15, 45, 90"])
def test_other_bucket_edges_change_the_aged_balance_columns(app, edges):
    app.text_input(key="s_edges").set_value(edges).run()
    app.switch_page("pages/aged_balance.py").run()
    no_exception(app)
    columns = list(app.dataframe(key="aged_table").value.columns)
    assert "16-45 j".replace(" ", "\u00a0") in [c.replace(" ", "\u00a0") for c in columns] or any(
        c.startswith("16-45") for c in columns
    )
    assert Settings().bucket_edges != (15, 45, 90)
