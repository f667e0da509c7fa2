"""Fixtures of the browser tests: one headless Chromium per session and one Streamlit server
per test module, each server on its own copy of the sample workspace, so that the data a
module changes (an upload becomes the newest dataset, which new sessions open) never reaches
another module's pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import (
    ARGS,
    CHROMIUM,
    TIMEOUT_MS,
    copy_workspace,
    require_chromium,
    streamlit_server,
)
from tests.pages.conftest import build_sample_workspace


@pytest.fixture(scope="session")
def sample_file(tmp_path_factory) -> Path:
    """The prepared sample workspace: servers get a copy, never this file."""
    require_chromium()
    return build_sample_workspace(tmp_path_factory.mktemp("e2e_sample") / "sample.duckdb")


@pytest.fixture(scope="module")
def server(sample_file, tmp_path_factory) -> Iterator[str]:
    """The module's server on its own copy of the sample; its URL."""
    workdir = tmp_path_factory.mktemp("e2e_server")
    with streamlit_server(copy_workspace(sample_file, workdir), workdir) as url:
        yield url


@pytest.fixture(scope="session")
def browser(sample_file):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()
