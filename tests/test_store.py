"""The workspace file: datasets written all or nothing, deleted cleanly, locked against a
second process."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from analytics import store
from analytics.store import ReconciliationError, Workspace, WorkspaceError, workspace_path


def _invoices(*rows: tuple[str, str, str, str]) -> pa.Table:
    """Arrow invoices: (invoice_id, customer_id, invoice_date, amount)."""
    return pa.table(
        {
            "source_file": ["f.csv"] * len(rows),
            "line_no": list(range(2, len(rows) + 2)),
            "invoice_id": [r[0] for r in rows],
            "customer_id": [r[1] for r in rows],
            "invoice_date": pa.array([r[2] for r in rows]).cast(pa.date32()),
            "amount": pa.array([Decimal(r[3]) for r in rows], pa.decimal128(18, 2)),
        }
    )


def _write(ws: Workspace, table: pa.Table, expected=None, name="d") -> int:
    return ws.write_dataset(
        name=name,
        sha256=name,
        source_files=[{"file": "f.csv"}],
        mappings={},
        rows_read=table.num_rows,
        rows_loaded=table.num_rows,
        rows_rejected=0,
        tables={"invoices": table},
        rejects=None,
        flags=None,
        expected=expected,
    )


def test_the_workspace_file_is_taken_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(tmp_path / "ws" / "mine.duckdb"))
    assert workspace_path() == tmp_path / "ws" / "mine.duckdb"
    with Workspace() as ws:
        assert ws.path.exists()
        assert ws.datasets() == []


def test_a_dataset_is_written_with_its_rows_and_counted(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as ws:
        ds = _write(
            ws,
            _invoices(("F1", "C1", "2026-01-05", "100.10"), ("F2", "C1", "2026-01-06", "-20.05")),
            expected={"invoices": (2, Decimal("80.05"))},
        )
        got = (
            ws.cursor()
            .execute("SELECT count(*), sum(amount) FROM invoices WHERE dataset_id = ?", [ds])
            .fetchone()
        )
        assert got == (2, Decimal("80.05"))  # 100.10 - 20.05
        assert [d.dataset_id for d in ws.datasets()] == [ds]


def test_a_dataset_whose_totals_do_not_reconcile_is_rolled_back_whole(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as ws:
        first = _write(ws, _invoices(("F1", "C1", "2026-01-05", "10.00")), name="first")
        with pytest.raises(ReconciliationError, match="nothing was loaded"):
            _write(
                ws,
                _invoices(("F9", "C9", "2026-02-05", "99.00")),
                expected={"invoices": (1, Decimal("98.00"))},
                name="second",
            )
        assert [d.dataset_id for d in ws.datasets()] == [first]
        assert ws.cursor().execute("SELECT list(invoice_id) FROM invoices").fetchone()[0] == ["F1"]


def test_deleting_a_dataset_removes_its_rows_and_keeps_the_others(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as ws:
        a = _write(ws, _invoices(("F1", "C1", "2026-01-05", "10.00")), name="a")
        b = _write(ws, _invoices(("G1", "C1", "2026-01-05", "20.00")), name="b")
        assert ws.delete_dataset(a) is True
        assert ws.delete_dataset(a) is False
        assert [d.dataset_id for d in ws.datasets()] == [b]
        assert ws.cursor().execute("SELECT list(invoice_id) FROM invoices").fetchone()[0] == ["G1"]


def test_the_workspace_survives_a_reopen(tmp_path):
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        _write(ws, _invoices(("F1", "C1", "2026-01-05", "10.00")))
    with Workspace(path) as ws:
        assert len(ws.datasets()) == 1


def test_a_second_process_gets_a_clear_message_while_the_workspace_is_in_use(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = textwrap.dedent(
        f"""
        import sys, time
        from analytics.store import Workspace
        ws = Workspace({str(path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        """
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", holder],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(WorkspaceError, match="in use by another Encours process"):
            Workspace(path)
    finally:
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=30)


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("4GB", 3814),  # 4 x 10^9 bytes / 2^20 = 3814.7
        ("512MiB", 512),
        ("1.5GiB", 1536),
        ("2 gb", 1907),  # 2 x 10^9 / 2^20 = 1907.3
        ("128MiB", 128),  # the least accepted
    ],
)
def test_the_memory_limit_is_read_in_duckdbs_units(monkeypatch, text, mib):
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", text)
    assert store.memory_limit() == text
    assert store.memory_limit_mib() == mib


def test_no_memory_limit_when_the_variable_is_unset_or_blank(monkeypatch):
    monkeypatch.delenv("ENCOURS_MEMORY_LIMIT", raising=False)
    assert store.memory_limit() is None and store.memory_limit_mib() is None
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "  ")
    assert store.memory_limit() is None


def test_a_memory_limit_that_is_not_a_size_is_refused_with_the_variable_named(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "lots")
    with pytest.raises(WorkspaceError, match="ENCOURS_MEMORY_LIMIT='lots' is not a memory size"):
        Workspace(tmp_path / "w.duckdb")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("512", "ENCOURS_MEMORY_LIMIT='512' has no unit"),  # DuckDB would not parse it
        ("0", "ENCOURS_MEMORY_LIMIT='0' has no unit"),
        ("1KB", "ENCOURS_MEMORY_LIMIT='1KB' is below 128 MiB"),
        ("134MB", "ENCOURS_MEMORY_LIMIT='134MB' is below 128 MiB"),  # 134e6 < 128 x 2^20
    ],
)
def test_a_memory_limit_without_a_unit_or_too_small_is_refused(monkeypatch, text, message):
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", text)
    with pytest.raises(WorkspaceError, match=re.escape(message)):
        store.memory_limit()


def test_the_workspace_runs_under_the_memory_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "300MiB")
    with Workspace(tmp_path / "w.duckdb") as ws:
        got = ws.cursor().execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert got == "300.0 MiB"


@pytest.mark.parametrize("name", ["export.csv", "empty.csv", "ledger.json"])
def test_a_workspace_named_like_a_data_file_is_refused_not_opened_in_memory(tmp_path, name):
    """DuckDB opens an existing ``x.csv`` as an in-memory database with a view of the file: a
    load there would report success and be lost. The file is left as it was."""
    path = tmp_path / name
    text = {"export.csv": "Invoice,Amount\nF1,10.00\n", "empty.csv": ""}.get(name, '{"a": 1}')
    path.write_text(text)
    with pytest.raises(WorkspaceError, match=rf"the workspace {name} is not a database file"):
        Workspace(path)
    assert path.read_text() == text


def test_a_workspace_below_a_file_says_which_folder_cannot_be_made(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    path = tmp_path / "notes.txt" / "ws.duckdb"
    with pytest.raises(WorkspaceError, match=r"notes\.txt cannot be made \(a file is in the way\)"):
        Workspace(path)


def test_a_data_file_opened_read_only_is_a_workspace_error_too(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Invoice,Amount\nF1,10.00\n")
    with pytest.raises(WorkspaceError, match=r"the workspace export\.csv cannot be opened"):
        Workspace(path, read_only=True)
