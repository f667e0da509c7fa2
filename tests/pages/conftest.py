"""Fixtures of the page tests: the sample loaded once per session into a workspace file.

Tests that only read the data share one copy of that file (``app``, ``shared_workspace``):
the analytics cache is keyed on the workspace path, the dataset id and its sha256, so warm
results stay exact across those tests and the suite stays fast. Tests that change the data
(delete, upload) get a private file at a path of their own (``small_app`` on a one-file
dataset, ``workspace_file`` on the sample), so no cached result can leak between tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "data" / "sample"
STYLES = ROOT / "tests" / "data" / "styles"
SMALL_SOURCE = STYLES / "sage_fr_cp1252.csv"
TIMEOUT = 60


def build_sample_workspace(path: Path) -> Path:
    """A workspace file holding the bundled sample as dataset 1."""
    with Workspace(path) as ws:
        load_files(ws, [InputFile(p) for p in sorted(SAMPLE.glob("*.csv"))], "Sample")
    return path


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory) -> Path:
    """The prepared sample workspace: copy it, never open it in a test."""
    return build_sample_workspace(tmp_path_factory.mktemp("sample") / "sample.duckdb")


@pytest.fixture(scope="session")
def shared_workspace(sample_workspace, tmp_path_factory) -> Path:
    """One copy of the sample for every test that only reads it."""
    path = tmp_path_factory.mktemp("shared") / "encours.duckdb"
    shutil.copy(sample_workspace, path)
    clear_caches()
    return path


@pytest.fixture(scope="session")
def small_workspace(tmp_path_factory) -> Path:
    """A workspace holding one small dataset (a Sage export), quick to show."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    with Workspace(path) as ws:
        load_files(ws, [InputFile(SMALL_SOURCE)], "Sage")
    return path


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run every AppTest rerun through ``app.py`` and its ``st.navigation``, as a running
    server does.

    AppTest resets ``PagesManager.uses_pages_directory`` before each run, as a freshly started
    server: with a folder named ``pages/`` next to ``app.py``, a run that asks for a page runs
    that file alone, which then switches to the shell (``common.start_page``) and back, three
    script runs instead of one. A server keeps the flag False once ``st.navigation`` ran. The
    fresh-server behaviour is tested in ``test_routing.py``, which overrides this fixture.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def shared_file(shared_workspace, monkeypatch) -> Path:
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(shared_workspace))
    return shared_workspace


@pytest.fixture
def workspace_file(sample_workspace, tmp_path, monkeypatch) -> Path:
    """A private copy of the sample at a path of its own."""
    path = tmp_path / "encours.duckdb"
    shutil.copy(sample_workspace, path)
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(path))
    return path


@pytest.fixture
def small_file(small_workspace, tmp_path, monkeypatch) -> Path:
    """A private copy of the small workspace at a path of its own."""
    path = tmp_path / "small.duckdb"
    shutil.copy(small_workspace, path)
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(path))
    return path


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def app(shared_file) -> AppTest:
    """The app, run once on its default page (the overview) against the shared sample copy."""
    return run_app()


@pytest.fixture
def fresh_app(workspace_file) -> AppTest:
    """The app on a private copy of the sample."""
    return run_app()


@pytest.fixture
def small_app(small_file) -> AppTest:
    """The app on a private copy of the small workspace, for tests that change the data."""
    return run_app()
