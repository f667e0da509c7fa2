"""Concurrency: five simultaneous sessions uploading different files each see only their own
data; threads loading at once get one whole dataset each; a second process opening the
workspace gets a clear message and corrupts nothing."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest.mock import MagicMock

import pytest
import streamlit as st
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime import Runtime
from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from streamlit.testing.v1.util import patch_config_options

from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace, WorkspaceError

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
STYLES = ROOT / "tests" / "data" / "styles"
HEADER = "N° facture;Code client;Raison sociale;Date facture;Date d'échéance;Montant TTC\n"
SESSIONS = 5


def session_file(folder: Path, k: int) -> Path:
    """Session k's ledger: customers Sk-A and Sk-B, three invoices of k x 100 EUR each."""
    path = folder / f"session_{k}.csv"
    path.write_text(
        HEADER
        + "".join(
            f"S{k}-F{i};S{k}-{'AB'[i % 2]};Client {k}{'AB'[i % 2]};0{i + 1}/01/2026;"
            f"0{i + 1}/02/2026;{k * 100},00\n"
            for i in range(3)
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def shared_workspace(tmp_path, monkeypatch) -> Path:
    """One workspace file for every session, holding one earlier dataset."""
    path = tmp_path / "shared.duckdb"
    with Workspace(path) as ws:
        load_files(ws, [InputFile(STYLES / "sage_fr_cp1252.csv")], "earlier", bounded=False)
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(path))
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def one_server(monkeypatch):
    """One runtime for every session, as a Streamlit server has.

    AppTest installs a runtime (and the test configuration) for the length of each run and
    removes it afterwards, which runs in parallel threads would undo under each other; here
    the runtime and the configuration stay in place while the sessions run at once.
    """
    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = DataframeSourceManager()
    runtime.cache_storage_manager = MemoryCacheStorageManager()
    runtime.bidi_component_registry = BidiComponentManager()

    class PerRun(Runtime):
        """Receives the runtime AppTest sets and clears around each of its runs."""

    monkeypatch.setattr(app_test_module, "Runtime", PerRun)
    monkeypatch.setattr(Runtime, "_instance", runtime)
    monkeypatch.setattr(
        app_test_module, "patch_config_options", lambda _options: contextlib.nullcontext()
    )
    with patch_config_options({"global.appTest": True}):
        yield


def upload_and_load(source: Path, barrier: threading.Barrier) -> AppTest:
    """One browser session: the Data page, upload, then (all sessions together) Load."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value((source.name, source.read_bytes(), "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    barrier.wait(timeout=120)
    at.button(key="data_load").click().run()
    assert not at.exception, [e.message for e in at.exception]
    at.date_input(key="as_of").set_value(date(2026, 3, 31)).run()
    at.switch_page("pages/aged_balance.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def customer_codes(at: AppTest) -> set[str]:
    """The customer codes of the aged balance table of a session (its totals row aside)."""
    for df in at.dataframe:
        frame = df.value
        if "Code client" in frame.columns:
            return {c for c in frame["Code client"] if c and c != "Total"}
    raise AssertionError("no aged balance table")


def test_five_simultaneous_sessions_each_see_only_the_file_they_uploaded(
    shared_workspace, one_server, tmp_path
):
    sources = [session_file(tmp_path, k) for k in range(1, SESSIONS + 1)]
    barrier = threading.Barrier(SESSIONS)
    with ThreadPoolExecutor(SESSIONS) as pool:
        sessions = list(pool.map(lambda s: upload_and_load(s, barrier), sources))

    with Workspace(shared_workspace) as ws:
        datasets = {d.name: d for d in ws.datasets()}
        totals = dict(
            ws.cursor()
            .execute("SELECT dataset_id, sum(amount) FROM invoices GROUP BY dataset_id")
            .fetchall()
        )
    assert sorted(datasets) == sorted(["earlier", *(s.name for s in sources)])
    for k, (source, at) in enumerate(zip(sources, sessions, strict=True), start=1):
        mine = datasets[source.name]
        assert at.selectbox(key="dataset_id").value == mine.dataset_id
        assert customer_codes(at) == {f"S{k}-A", f"S{k}-B"}
        assert mine.rows_loaded == 3 and totals[mine.dataset_id] == Decimal(k * 300)


def test_threads_loading_at_once_into_one_workspace_get_one_whole_dataset_each(tmp_path):
    sources = [session_file(tmp_path, k) for k in range(1, SESSIONS + 1)]
    with Workspace(tmp_path / "w.duckdb") as ws:
        barrier = threading.Barrier(SESSIONS)

        def load(source: Path) -> int:
            barrier.wait(timeout=60)
            return load_files(ws, [InputFile(source)]).dataset_id

        with ThreadPoolExecutor(SESSIONS) as pool:
            ids = list(pool.map(load, sources))
        assert sorted(ids) == list(range(1, SESSIONS + 1))
        for k, dataset_id in enumerate(ids, start=1):
            assert ws.dataset(dataset_id).name == f"session_{k}.csv"
            rows, total = (
                ws.cursor()
                .execute(
                    "SELECT count(*), sum(amount) FROM invoices WHERE dataset_id = ?",
                    [dataset_id],
                )
                .fetchall()[0]
            )
            assert (rows, total) == (3, Decimal(k * 300))


def test_the_same_file_loaded_by_two_sessions_at_once_is_one_dataset(tmp_path):
    source = session_file(tmp_path, 7)
    with Workspace(tmp_path / "w.duckdb") as ws:
        barrier = threading.Barrier(2)

        def load(_: int):
            barrier.wait(timeout=60)
            return load_files(ws, [InputFile(source)])

        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(load, range(2)))
        assert {r.dataset_id for r in reports} == {1}
        assert sorted(r.already_loaded for r in reports) == [False, True]
        assert len(ws.datasets()) == 1


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace

    ws = Workspace(sys.argv[1])
    load_files(ws, [InputFile(Path(sys.argv[2]))], bounded=False)
    print("holding", flush=True)
    sys.stdin.readline()
    ws.close()
    """
)


def test_a_second_process_is_told_the_workspace_is_in_use_and_nothing_is_corrupted(tmp_path):
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        load_files(ws, [InputFile(STYLES / "sage_fr_cp1252.csv")], bounded=False)
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(session_file(tmp_path, 1))],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip() == "holding"
        second = subprocess.run(
            [sys.executable, "-m", "analytics", "ingest", "--workspace", str(path)]
            + [str(session_file(tmp_path, 2))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"error: the workspace w.duckdb is in use by another Encours process "
            f"(process {first.pid}); close it or set ENCOURS_WORKSPACE to another file"
        )
        in_use = re.escape(f"in use by another Encours process (process {first.pid})")
        with pytest.raises(WorkspaceError, match=in_use):
            Workspace(path)
    finally:
        first.communicate("\n", timeout=60)
    assert first.returncode == 0
    with Workspace(path) as ws:
        assert [(d.dataset_id, d.rows_loaded) for d in ws.datasets()] == [(1, 10), (2, 3)]
