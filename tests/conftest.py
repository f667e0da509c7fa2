"""Every test runs against its own workspace location and rate table, never the user's."""

from __future__ import annotations

import os

import pytest


def _encours_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("ENCOURS_")}


@pytest.fixture(autouse=True)
def _environment_left_as_found():
    """A test that leaves an ENCOURS_ variable changed (after its monkeypatch is undone) fails
    here, by name, instead of changing the tests that run after it in the same process."""
    before = _encours_environment()
    yield
    after = _encours_environment()
    if after != before:
        os.environ.update(before)
        for name in set(after) - set(before):
            del os.environ[name]
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        pytest.fail(f"the test left {', '.join(changed)} changed")


@pytest.fixture(autouse=True)
def _private_user_files(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("user-files")
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(home / "encours.duckdb"))
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(home / "ecb_main_refinancing_rate.csv"))
