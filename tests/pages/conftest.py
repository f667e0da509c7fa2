"""Fixtures of the page tests: the sample loaded once, copied into each test's workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "data" / "sample"


def build_sample_workspace(path: Path) -> Path:
    """A workspace file holding the bundled sample as dataset 1."""
    with Workspace(path) as ws:
        load_files(ws, [InputFile(p) for p in sorted(SAMPLE.glob("*.csv"))], "Sample")
    return path


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory) -> Path:
    return build_sample_workspace(tmp_path_factory.mktemp("sample") / "sample.duckdb")


@pytest.fixture
def workspace_file(sample_workspace, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "encours.duckdb"
    shutil.copy(sample_workspace, path)
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app(workspace_file) -> AppTest:
    """The app, run once on its default page (the overview) against a copy of the sample."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at
