"""Bookmarked page URLs on a freshly started server: the very first browser session opens the
deep link (no session has opened the root before), and the page shows inside the shell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.support import copy_workspace, heading, no_error, settle, shot, streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh_server(sample_file, tmp_path) -> Iterator[str]:
    """A server of this test alone, started just now: no browser session has reached it."""
    with streamlit_server(copy_workspace(sample_file, tmp_path), tmp_path) as url:
        yield url


def test_a_bookmarked_customer_url_is_the_first_request_of_a_fresh_server(fresh_server, page):
    page.goto(fresh_server + "/customer?customer=C00561")
    page.get_by_role("heading", name="Client C00561").wait_for()
    settle(page, "Score de risque")
    no_error(page)
    assert heading(page).startswith("Client C00561")
    assert page.url.endswith("/customer?customer=C00561")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Jeu de données").count() == 1
    assert sidebar.get_by_text("Recouvrement").count() == 1
    shot(page, "deep_link_fresh_server")
