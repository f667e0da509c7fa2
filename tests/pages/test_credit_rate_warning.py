"""A rate table that does not cover every delay: the credit pages show the penalties as n/a with
a visible warning, never a guessed rate (kpi-spec section 8)."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import credit_views, i18n, legal_fr
from tests.pages.conftest import APP

CUSTOMER = "C00001"


@pytest.fixture
def short_rates(workspace_file, tmp_path, monkeypatch):
    """The user's rate table starts on 2026-07-01: every late day before has no rate. The
    sample (as of 2026-10-31) has open invoices overdue since before July 2026, and C00001
    (B2B, no contractual rate) has invoices paid late in the first half of 2026."""
    path = tmp_path / "rates.csv"
    path.write_text("effective_date,rate_percent,source\n2026-07-01,2.15,test table\n")
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(path))
    st.cache_data.clear()
    yield path
    st.cache_data.clear()


def warnings_shown(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def run_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_collections_page_warns_when_the_rate_table_misses_a_period(short_rates):
    at = run_page("pages/collections.py")
    assert credit_views.t("penalties_rate_missing", "fr") in warnings_shown(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown[credit_views.t("collections_penalties", "fr")] == i18n.na("fr")


def test_the_customer_page_warns_when_the_rate_table_misses_a_period(short_rates):
    at = run_page("pages/customer.py", customer=CUSTOMER)
    assert credit_views.t("penalties_rate_missing", "fr") in warnings_shown(at)
    shown = {m.label: m.value for m in at.metric}
    paid = credit_views.t("customer_penalties", "fr") + " · " + credit_views.t("status_paid", "fr")
    assert shown[paid] == i18n.na("fr")


def test_a_rate_table_edited_outside_the_app_is_used_on_the_next_run(workspace_file, tmp_path):
    """The page cache keys on the rate table in force (path and modification time): the same
    session first computes penalties with the bundled table, then, once the user's table is
    written beside the workspace (without clearing any cache), shows them as n/a with the
    warning."""
    st.cache_data.clear()
    try:
        at = run_page("pages/collections.py")
        label = credit_views.t("collections_penalties", "fr")
        assert {m.label: m.value for m in at.metric}[label] != i18n.na("fr")
        assert credit_views.t("penalties_rate_missing", "fr") not in warnings_shown(at)
        path = legal_fr.user_rates_path()
        assert not path.exists()
        path.write_text("effective_date,rate_percent,source\n2026-07-01,2.15,test table\n")
        try:
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            assert {m.label: m.value for m in at.metric}[label] == i18n.na("fr")
            assert credit_views.t("penalties_rate_missing", "fr") in warnings_shown(at)
        finally:
            path.unlink()
    finally:
        st.cache_data.clear()
