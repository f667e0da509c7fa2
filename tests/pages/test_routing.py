"""A page URL opened before any session ran the shell (a freshly started server) is routed
through ``app.py``: the page shows inside the shell, with its sidebar and query parameters.

AppTest resets Streamlit's multipage mode before every run, as a fresh server starts: with a
``pages/`` folder next to ``app.py``, a run that asks for a page runs that file alone until
``st.navigation`` has run. These tests keep that behaviour (no ``navigation_mode`` patch).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analytics import credit_views, i18n
from pages import common
from tests.pages.conftest import APP, TIMEOUT

PAGE_TITLES = [
    (common.PAGE_OVERVIEW, i18n.t("overview_title", "fr")),
    (common.PAGE_AGED, i18n.t("aged_title", "fr")),
    (common.PAGE_CONCENTRATION, i18n.t("conc_title", "fr")),
    (common.PAGE_LOSSES, i18n.t("losses_title", "fr")),
    (common.PAGE_DATA, i18n.t("data_title", "fr")),
    (common.PAGE_CUSTOMERS, credit_views.t("customers_title", "fr")),
    (common.PAGE_COLLECTIONS, credit_views.t("collections_title", "fr")),
    (common.PAGE_FORECAST, credit_views.t("forecast_title", "fr")),
    (common.PAGE_HISTORY, credit_views.t("history_title", "fr")),
]


@pytest.fixture
def navigation_mode() -> None:
    """Streamlit's own multipage mode, as on a freshly started server (overrides the patch)."""


def open_first(page: str, **query: str) -> AppTest:
    """A new session whose first request is ``page`` with ``query``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def dataset_selected(at: AppTest) -> bool:
    """Whether the shell's sidebar ran: its dataset selector shows the sample (dataset 1)."""
    label = i18n.t("sidebar_dataset", "fr")
    return any(box.label == label and box.value == 1 for box in at.sidebar.selectbox)


def test_a_bookmarked_customer_url_on_a_fresh_server_opens_the_drill_down(shared_file):
    at = open_first(common.PAGE_CUSTOMER, customer="C00561")
    assert [title.value for title in at.title] == ["Client C00561"]
    assert at.query_params["customer"] == "C00561"
    assert dataset_selected(at)
    assert common.PENDING_PAGE_KEY not in at.session_state


@pytest.mark.parametrize(("page", "title"), PAGE_TITLES, ids=[p for p, _ in PAGE_TITLES])
def test_every_page_url_on_a_fresh_server_shows_that_page_inside_the_shell(
    shared_file, page, title
):
    at = open_first(page)
    assert [t.value for t in at.title] == [title]
    assert dataset_selected(at)


def test_the_query_parameters_of_a_page_url_survive_the_detour_through_the_shell(shared_file):
    at = open_first(common.PAGE_AGED, bucket="31-60", sort="overdue")
    assert at.title[0].value == i18n.t("aged_title", "fr")
    assert at.query_params == {"bucket": "31-60", "sort": "overdue"}


def test_a_helper_module_opened_as_a_page_leads_to_the_overview(shared_file):
    at = open_first("pages/common.py", customer="C00561")
    assert [t.value for t in at.title] == [i18n.t("overview_title", "fr")]
    assert "customer" not in at.query_params


def test_the_drill_down_stays_open_on_the_next_rerun(shared_file):
    at = open_first(common.PAGE_CUSTOMER, customer="C00561")
    at.run()
    assert not at.exception
    assert [title.value for title in at.title] == ["Client C00561"]
