"""Page timings: every page of the app run with Streamlit's AppTest against a workspace file.

For each page, ``page_timings`` measures

- cold: a new session (a fresh ``AppTest``) after ``st.cache_data.clear()`` and
  ``st.cache_resource.clear()``, the workspace connection closed: the workspace is opened again
  and every analytics call of the page is computed, as on the first visit of that page after
  the server started (the process, its imports and DuckDB's own buffers stay warm);
- warm: ``runs`` reruns of the same session with nothing changed (``at.run()`` again), as
  after a click that changes nothing the page reads; the median is the figure.

The goals (issues 5 and 7): cold under 2 s, warm under 300 ms per page at 1M invoices.

Every run goes through ``app.py`` and its ``st.navigation`` as on a server (the shell, the
sidebar, then the page). Run from the command line on a scaled ledger of ``bench/data``:

    python -m bench.pages --scale 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
WORKSPACE_ENV = "ENCOURS_WORKSPACE"
GOALS = {"cold_s": 2.0, "warm_s": 0.3}
#: Seconds an AppTest run may take before it counts as failed.
RUN_TIMEOUT_S = 900.0


def app_pages() -> list[str]:
    """Paths of the pages of the app (relative to the project), in the navigation's order."""
    from pages import common

    pages = [common.PAGE_OVERVIEW, common.PAGE_AGED, common.PAGE_CONCENTRATION]
    pages += [common.PAGE_LOSSES, common.PAGE_CUSTOMER]
    pages += [path for path, *_ in common.CREDIT_PAGES]
    pages.append(common.PAGE_DATA)
    return [page for page in pages if common.page_exists(page)]


@contextmanager
def _server_mode(workspace_path: Path) -> Iterator[None]:
    """AppTest runs that behave like a running server's, against ``workspace_path``.

    AppTest resets Streamlit's multipage mode before every run, as a freshly started server:
    with the ``pages/`` folder next to ``app.py``, every run would first run the page alone
    and detour through the shell. A server turns that mode off for good once ``st.navigation``
    ran; so do these runs.
    """
    original = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    previous = os.environ.get(WORKSPACE_ENV)
    os.environ[WORKSPACE_ENV] = str(workspace_path)
    PagesManager.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        PagesManager.__init__ = original  # type: ignore[method-assign]
        if previous is None:
            os.environ.pop(WORKSPACE_ENV, None)
        else:
            os.environ[WORKSPACE_ENV] = previous


def _clear_caches() -> None:
    """Empty Streamlit's caches and close the workspace the app opened, so that the DuckDB
    database (and the open items cached in its connection) is opened afresh."""
    from analytics.store import workspace_path
    from pages import common

    common.workspace(str(workspace_path())).close()
    st.cache_data.clear()
    st.cache_resource.clear()


def _timed_run(at: AppTest, page: str) -> float:
    t0 = time.perf_counter()
    at.run(timeout=RUN_TIMEOUT_S)
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page}: {[e.message for e in at.exception]}")
    return elapsed


def _session(dataset_id: int, page: str, query: dict[str, str]) -> AppTest:
    """A new session on ``page`` of dataset ``dataset_id``, not run yet."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    at.session_state["dataset_id"] = dataset_id
    at.query_params.update(query)
    return at.switch_page(page)


def pick_customer(dataset_id: int) -> str | None:
    """A customer of the dataset: the first one the drill-down page offers to pick."""
    from pages import common

    at = _session(dataset_id, common.PAGE_CUSTOMER, {})
    at.run(timeout=RUN_TIMEOUT_S)
    box = at.selectbox(key="customer_pick")
    if len(box.options) < 2:
        return None
    box.select_index(1).run(timeout=RUN_TIMEOUT_S)
    customer = at.query_params.get("customer")
    return str(customer) if customer else None


def page_timings(
    workspace_path: Path | str,
    dataset_id: int,
    runs: int = 3,
    *,
    pages: list[str] | None = None,
    customer_id: str | None = None,
) -> list[dict[str, Any]]:
    """Cold and warm timings (seconds) of every page of the app on one dataset.

    ``workspace_path``: a workspace file holding dataset ``dataset_id`` (it is only read;
    the data page is shown, nothing is uploaded or deleted). ``runs``: warm reruns per page
    (the median is reported). ``pages``: page paths (``pages/overview.py``...), every page by
    default. ``customer_id``: the customer of the drill-down page, by default the first one
    the page offers.

    One dict per page: ``page`` (its path), ``cold_s`` (the first run of a new session with
    every cache empty), ``warm_median_s`` (median of ``runs`` reruns of that session),
    ``warm_runs_s`` (every rerun), ``query`` (the page's query parameters).
    """
    from pages import common

    if runs < 1:
        raise ValueError("runs must be at least 1")
    path = Path(workspace_path)
    results: list[dict[str, Any]] = []
    with _server_mode(path):
        selected = app_pages() if pages is None else pages
        unknown = [page for page in selected if page not in app_pages()]
        if unknown:
            raise ValueError(f"not pages of the app: {unknown}")
        for page in selected:
            query: dict[str, str] = {}
            if page == common.PAGE_CUSTOMER:
                customer = customer_id or pick_customer(dataset_id)
                if customer is not None:
                    query["customer"] = customer
            _clear_caches()
            at = _session(dataset_id, page, query)
            cold = _timed_run(at, page)
            warm = [_timed_run(at, page) for _ in range(runs)]
            results.append(
                {
                    "page": page,
                    "query": query,
                    "cold_s": cold,
                    "warm_median_s": statistics.median(warm),
                    "warm_runs_s": warm,
                }
            )
        _clear_caches()
    return results


def render(results: list[dict[str, Any]], title: str) -> str:
    """The timings as a Markdown table, against the goals."""
    lines = [
        f"### {title}",
        "",
        f"| page | cold | warm (median) | goal cold < {GOALS['cold_s']:.0f} s "
        f"| goal warm < {GOALS['warm_s'] * 1000:.0f} ms |",
        "|---|---:|---:|:---:|:---:|",
    ]
    for r in results:
        name = Path(r["page"]).stem + ("?customer=" + r["query"]["customer"] if r["query"] else "")
        lines.append(
            f"| {name} | {r['cold_s']:.2f} s | {r['warm_median_s'] * 1000:.0f} ms "
            f"| {'yes' if r['cold_s'] < GOALS['cold_s'] else 'no'} "
            f"| {'yes' if r['warm_median_s'] < GOALS['warm_s'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def _scaled_workspace(n: int, data_dir: Path, workdir: Path) -> tuple[Path, int]:
    """A workspace holding the bench ledger of ``n`` invoices (Parquet) as one dataset."""
    from analytics.pipeline import LARGE_LIMITS, InputFile, load_files
    from analytics.store import Workspace
    from bench.__main__ import TABLES, ledger

    paths = ledger(data_dir, n, "parquet")
    path = workdir / f"pages-{n}.duckdb"
    with Workspace(path) as ws:
        files = [InputFile(paths[t], table=t) for t in TABLES]
        report = load_files(ws, files, f"bench {n}", limits=LARGE_LIMITS)
    return path, report.dataset_id


def _sample_workspace(workdir: Path) -> tuple[Path, int]:
    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace
    from pages.common import SAMPLE_DIR

    path = workdir / "pages-sample.duckdb"
    with Workspace(path) as ws:
        files = [InputFile(p) for p in sorted(SAMPLE_DIR.glob("*.csv"))]
        report = load_files(ws, files, "Sample")
    return path, report.dataset_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--scale", type=int, help="invoices of a bench ledger (default: sample)")
    parser.add_argument("--runs", type=int, default=3, help="warm reruns per page (median)")
    parser.add_argument("--workspace", type=Path, help="an existing workspace file")
    parser.add_argument("--dataset", type=int, default=1, help="dataset id in --workspace")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--json", type=Path, help="also write the timings to this JSON file")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        if args.workspace is not None:
            path, dataset_id, title = args.workspace, args.dataset, str(args.workspace.name)
        elif args.scale:
            path, dataset_id = _scaled_workspace(args.scale, args.data_dir.resolve(), Path(tmp))
            title = f"{args.scale:,} invoices"
        else:
            path, dataset_id = _sample_workspace(Path(tmp))
            title = "bundled sample"
        results = page_timings(path, dataset_id, args.runs)
    if args.json is not None:
        doc = {"title": title, "invoices": args.scale, "runs": args.runs, "results": results}
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    print(render(results, title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
