"""The credit-management pages on the sample with AppTest: no exception, the figures shown are
the analytics' figures, the customer drill-down opens from a query parameter and from a link
on the Collections page.

The sample is loaded once per session (tests/pages/conftest.py); this module copies it once
and keeps the Streamlit caches between its tests, so each page is computed once.
"""

from __future__ import annotations

import shutil
from datetime import date
from urllib.parse import parse_qs

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import credit_views, i18n
from analytics.config import Filters, Settings
from analytics.store import Workspace
from tests.pages.conftest import APP

D = date(2026, 10, 31)
EUR = Filters(currency=("EUR",))
KW = {"dataset_id": 1, "filters": EUR, "settings": Settings()}
CUSTOMER = "C00561"


@pytest.fixture(scope="module")
def expected(sample_workspace):
    """The analytics' figures on the sample, computed on the session's sample file."""
    with Workspace(sample_workspace) as ws:
        con = ws.cursor()
        out = {
            "customers": credit_views.customers_table(con, D, **KW),
            "collections": credit_views.collections_view(con, D, **KW),
            "forecast": credit_views.forecast_view(con, D, **KW),
            "history": credit_views.history_view(con, D, **KW),
            "cohorts": credit_views.cohorts(con, D, **KW),
            "header": credit_views.customer_header(con, D, customer_id=CUSTOMER, **KW),
            "aging": credit_views.customer_aging(con, D, customer_id=CUSTOMER, **KW),
            "invoices": credit_views.customer_invoices(con, D, customer_id=CUSTOMER, **KW),
        }
        con.close()
    return out


@pytest.fixture(scope="module")
def credit_workspace(sample_workspace, tmp_path_factory):
    path = tmp_path_factory.mktemp("credit") / "encours.duckdb"
    shutil.copy(sample_workspace, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCOURS_WORKSPACE", str(path))
        st.cache_data.clear()
        st.cache_resource.clear()
        yield path
        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.fixture
def at(credit_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(credit_workspace))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    no_exception(app)
    return app


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.message for e in app.exception]


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def table_with(app: AppTest, column: str):
    for df in app.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a column {column!r}")


def open_page(app: AppTest, page: str, **query: str) -> AppTest:
    for key, value in query.items():
        app.query_params[key] = value
    app.switch_page(page).run()
    no_exception(app)
    return app


def fr(value, currency="EUR") -> str:
    return i18n.fmt_money(value, "fr", currency)


def tile(value, currency="EUR") -> str:
    return i18n.fmt_money(value, "fr", currency, digits=0)


def test_the_customer_drill_down_opens_from_the_query_parameter(at, expected):
    open_page(at, "pages/customer.py", customer=CUSTOMER)
    assert at.title[0].value == f"Client {CUSTOMER}"
    shown = metrics(at)
    head = expected["header"]
    assert shown["Encours"] == tile(head["balance"])
    assert shown["Échu"] == tile(head["overdue"])
    assert shown["Limite de crédit"] == tile(head["credit_limit"])
    assert shown["Total"] == tile(expected["aging"].iloc[0]["total"])
    open_items = expected["invoices"]
    assert len(table_with(at, "Statut")) == int((open_items["status"] == "open").sum())


def test_the_customer_invoices_can_show_the_paid_ones_too(at, expected):
    open_page(at, "pages/customer.py", customer=CUSTOMER)
    at.multiselect(key="customer_status").set_value(["open", "paid"]).run()
    no_exception(at)
    assert len(table_with(at, "Statut")) == len(expected["invoices"])


def test_an_unknown_customer_is_reported_without_an_error(at):
    open_page(at, "pages/customer.py", customer="NOBODY")
    assert any("Aucun encours" in i.value for i in at.info)


def test_the_collections_page_shows_the_worklist_figures(at, expected):
    open_page(at, "pages/collections.py")
    shown = metrics(at)
    totals = expected["collections"]["totals"]["EUR"]
    assert shown["Pièces à relancer"] == str(totals["items"])
    assert shown["Montant à relancer"] == tile(totals["amount"])
    assert shown["Pénalités exigibles"] == tile(totals["penalties"])
    assert shown["En litige (à part)"] == tile(totals["disputed_amount"])
    first = table_with(at, "Rang").iloc[0]
    top = expected["collections"]["items"].iloc[0]
    assert (first["Rang"], first["N° facture"]) == ("1", top["invoice_id"])
    labels = [b.label for b in at.get("download_button")]
    assert "Exporter la liste (CSV)" in labels and "Exporter la liste (Excel)" in labels
    assert expected["collections"]["rates_missing"] is False
    assert credit_views.t("penalties_rate_missing", "fr") not in [w.value for w in at.warning]


def test_a_link_on_the_collections_page_opens_the_customer_drill_down(at, expected):
    open_page(at, "pages/collections.py")
    links = [p for p in at.page_link if p.proto.page == "customer"]
    assert links, "no customer link on the Collections page"
    query = parse_qs(links[0].proto.query_string)
    customer = query["customer"][0]
    assert customer == expected["collections"]["items"].iloc[0]["customer_id"]
    open_page(at, "pages/customer.py", customer=customer)
    assert at.title[0].value == f"Client {customer}"


def test_the_customers_table_lists_every_customer_with_the_analytics_figures(at, expected):
    open_page(at, "pages/customers.py")
    table = table_with(at, "Score de risque")
    frame = expected["customers"]
    assert len(table) == len(frame)
    assert table.iloc[0]["Code client"] == frame.iloc[0]["customer_id"]
    assert table.iloc[0]["Encours"] == fr(frame.iloc[0]["balance"])


def test_the_customers_filters_keep_only_limit_breaches(at, expected):
    open_page(at, "pages/customers.py")
    at.toggle(key="customers_breach").set_value(True).run()
    no_exception(at)
    frame = expected["customers"]
    assert len(table_with(at, "Score de risque")) == int(frame["breach"].eq(True).sum())


def test_searching_the_customers_narrows_the_table(at):
    open_page(at, "pages/customers.py")
    at.text_input(key="customers_search").set_value(CUSTOMER).run()
    no_exception(at)
    assert list(table_with(at, "Score de risque")["Code client"]) == [CUSTOMER]


def test_the_forecast_page_shows_13_weeks_the_disputed_amount_and_the_backtest(at, expected):
    open_page(at, "pages/forecast.py")
    shown = metrics(at)
    view = expected["forecast"]
    totals = view["totals"]["EUR"]
    assert shown["Encaissements attendus (13 semaines)"] == tile(totals["forecast"])
    assert shown["En litige (hors prévision)"] == tile(totals["disputed"])
    assert shown["Erreur de la méthode (WAPE)"] == i18n.fmt_percent(
        view["backtest"]["wape"]["EUR"], "fr"
    )
    assert len(table_with(at, "Semaine")) == 14


def test_the_history_page_shows_24_month_ends_and_the_cohorts(at, expected):
    open_page(at, "pages/history.py")
    table = table_with(at, "Fin de mois")
    history = expected["history"]["history"]
    assert len(table) == 24
    assert table.iloc[-1]["Encours"] == fr(history.iloc[-1]["ar"])
    cohorts = table_with(at, "Mois de facturation")
    assert len(cohorts) == len(expected["cohorts"])


def test_the_collections_page_switches_to_english(at):
    at.selectbox(key="lang").set_value("en").run()
    open_page(at, "pages/collections.py")
    shown = metrics(at)
    assert "Items to chase" in shown
    assert shown["Amount to chase"].startswith("€")


def test_the_drill_down_shows_the_customers_typical_delay_by_invoice_size(at, sample_workspace):
    from analytics import behaviour

    with Workspace(sample_workspace) as ws:
        con = ws.cursor()
        habits = behaviour.customer_behaviour(con, D, dataset_id=1)
        regular = habits.sort_values(["invoices", "customer_id"], ascending=[False, True])
        customer = regular.iloc[0]["customer_id"]
        by_size = credit_views.customer_days_late(con, D, customer_id=customer, **KW)["by_size"]
        con.close()
    assert not by_size.empty
    open_page(at, "pages/customer.py", customer=customer)
    shown = table_with(at, "Retard médian")
    assert list(shown["Montant de la facture"]) == list(by_size["size"])
    assert list(shown.iloc[:, 1]) == [str(n) for n in by_size["invoices"]]
    assert list(shown["Retard médian"]) == [
        i18n.fmt_days(float(v), "fr") for v in by_size["median_days_late"]
    ]


def test_the_drill_down_shows_open_disputes_and_the_doubtful_status(at, sample_workspace):
    with Workspace(sample_workspace) as ws:
        con = ws.cursor()
        status = credit_views.customer_days_late(con, D, customer_id=CUSTOMER, **KW)["status"]
        con.close()
    open_page(at, "pages/customer.py", customer=CUSTOMER)
    shown = metrics(at)
    label = credit_views.TEXTS
    assert shown[label["customer_disputed_items"][0]] == str(status["disputed_items"])
    assert shown[label["customer_disputed_amount"][0]] == tile(status["disputed_amount"])
    assert shown[label["customer_doubtful"][0]] == credit_views.t(
        f"doubtful_{status['doubtful_status']}", "fr"
    )


def test_the_drill_down_lists_penalties_and_terms_breaches_as_computed(at, sample_workspace):
    """The legal tab's tables (formatted once and cached) show the analytics' rows: the late
    invoices with their days late and penalty, and the invoices beyond the legal maximum."""
    from analytics import legal_fr

    with Workspace(sample_workspace) as ws:
        con = ws.cursor()
        breaches = legal_fr.terms_breaches_by_customer(con, D, dataset_id=1, filters=EUR)
        customer = str(breaches.sort_values("customer_id").iloc[0]["customer_id"])
        legal = credit_views.customer_legal(con, D, customer_id=customer, **KW)
        con.close()
    assert not legal["late"].empty and not legal["terms"].empty
    open_page(at, "pages/customer.py", customer=customer)
    late = table_with(at, "Indemnité (EUR)")
    assert list(late["N° facture"]) == list(legal["late"]["invoice_id"])
    assert list(late["Jours de retard"]) == [str(d) for d in legal["late"]["days_late"]]
    assert list(late["Pénalités"]) == [fr(p) for p in legal["late"]["penalty"]]
    terms = table_with(at, "Jours au-delà du maximum")
    assert list(terms["N° facture"]) == list(legal["terms"]["invoice_id"])
    assert list(terms["Délai accordé (j)"]) == [str(d) for d in legal["terms"]["terms_days"]]


def test_the_cohort_table_shows_each_unpaid_share_as_a_percentage(at, expected):
    open_page(at, "pages/history.py")
    shown = table_with(at, "Mois de facturation")
    cohorts = expected["cohorts"]
    assert list(shown["Impayé après 30 j"]) == [
        i18n.fmt_percent(v, "fr") for v in cohorts["unpaid_30"]
    ]
    assert list(shown["Facturé"]) == [fr(v) for v in cohorts["billed"]]
