"""Smoke test of the page timings (``bench.pages``) on a tiny workspace: the structure of the
figures, never their values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace
from bench.pages import app_pages, page_timings, render
from pages import common

SOURCE = Path(__file__).resolve().parent / "data" / "styles" / "sage_fr_cp1252.csv"


@pytest.fixture(scope="module")
def tiny_workspace(tmp_path_factory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("bench_pages") / "tiny.duckdb"
    with Workspace(path) as ws:
        dataset_id = load_files(ws, [InputFile(SOURCE)], "Sage").dataset_id
    return path, dataset_id


def test_every_page_of_the_navigation_is_timed():
    pages = app_pages()
    assert pages[0] == common.PAGE_OVERVIEW
    assert {common.PAGE_AGED, common.PAGE_CUSTOMER, common.PAGE_DATA} <= set(pages)
    assert len(pages) == len(set(pages)) == 10


def test_page_timings_gives_a_cold_time_and_the_median_of_the_warm_reruns(tiny_workspace):
    path, dataset_id = tiny_workspace
    before = os.environ.get("ENCOURS_WORKSPACE")
    pages = [common.PAGE_AGED, common.PAGE_CUSTOMER]
    results = page_timings(path, dataset_id, runs=3, pages=pages)
    assert [r["page"] for r in results] == pages
    for r in results:
        assert set(r) == {"page", "query", "cold_s", "warm_median_s", "warm_runs_s"}
        assert r["cold_s"] > 0 and len(r["warm_runs_s"]) == 3
        assert r["warm_median_s"] == sorted(r["warm_runs_s"])[1]
    assert results[0]["query"] == {}
    assert set(results[1]["query"]) == {"customer"}
    assert os.environ.get("ENCOURS_WORKSPACE") == before
    table = render(results, "tiny")
    assert "| aged_balance |" in table and "?customer=" in table


def test_page_timings_refuses_zero_runs(tiny_workspace):
    with pytest.raises(ValueError, match="at least 1"):
        page_timings(tiny_workspace[0], tiny_workspace[1], runs=0)


def test_a_path_that_is_not_a_page_of_the_app_is_refused_before_any_run(tiny_workspace):
    path, dataset_id = tiny_workspace
    with pytest.raises(ValueError, match="absent"):
        page_timings(path, dataset_id, runs=1, pages=[common.PAGE_OVERVIEW, "pages/absent.py"])
