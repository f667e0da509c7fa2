"""Every test runs against its own workspace location and rate table, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_user_files(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("user-files")
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(home / "encours.duckdb"))
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(home / "ecb_main_refinancing_rate.csv"))
