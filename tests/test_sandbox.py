"""The workspace connection is sandboxed once the file is attached: SQL run on it cannot read
or write files, attach databases, load extensions, see Python variables or undo the sandbox;
user text (headers, names) never becomes SQL, and every product path still works."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import kpis
from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace, WorkspaceError, sandbox

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "styles" / "sage_fr_cp1252.csv"
SAGE_HEADERS = [
    "N° facture",
    "Code client",
    "Raison sociale",
    "Date facture",
    "Date d'échéance",
    "Montant TTC",
]


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as w:
        yield w


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file next to the workspace that SQL must not reach."""
    path = tmp_path / "secret.csv"
    path.write_text("a\n1\n")
    return path


def test_sql_on_the_workspace_cannot_read_a_file(ws, outside):
    with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
        ws.cursor().execute("SELECT * FROM read_csv(?)", [str(outside)]).fetchall()


def test_sql_on_the_workspace_cannot_write_a_file(ws, tmp_path):
    target = tmp_path / "out.csv"
    sql = "COPY datasets TO '" + str(target) + "'"
    with pytest.raises(duckdb.PermissionException):
        ws.cursor().execute(sql)
    assert not target.exists()


def test_sql_on_the_workspace_cannot_attach_another_database(ws, tmp_path):
    sql = "ATTACH '" + str(tmp_path / "other.duckdb") + "' AS other"
    with pytest.raises(duckdb.PermissionException):
        ws.cursor().execute(sql)


def test_sql_on_the_workspace_cannot_load_an_extension(ws):
    with pytest.raises(duckdb.Error):
        ws.cursor().execute("LOAD httpfs")


def test_sql_on_the_workspace_cannot_see_python_variables(ws):
    hidden = pd.DataFrame({"a": [1]})
    assert len(hidden) == 1
    with pytest.raises(duckdb.CatalogException):
        ws.cursor().execute("SELECT * FROM hidden").fetchall()


@pytest.mark.parametrize(
    "setting", ["enable_external_access = true", "lock_configuration = false", "threads = 1"]
)
def test_the_sandbox_and_every_other_setting_are_locked(ws, setting):
    with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
        ws.cursor().execute("SET " + setting)


def test_a_second_workspace_on_the_same_file_finds_the_sandbox_in_force(ws, outside):
    with Workspace(ws.path) as again:
        with pytest.raises(duckdb.PermissionException):
            again.cursor().execute("SELECT * FROM read_csv(?)", [str(outside)]).fetchall()


def test_an_in_memory_workspace_is_sandboxed_too(outside):
    with Workspace(":memory:") as w:
        with pytest.raises(duckdb.PermissionException):
            w.cursor().execute("SELECT * FROM read_csv(?)", [str(outside)]).fetchall()


def test_a_connection_locked_without_the_sandbox_is_refused():
    con = duckdb.connect(":memory:")
    con.execute("SET lock_configuration = true")
    with pytest.raises(WorkspaceError, match="cannot be sandboxed"):
        sandbox(con)
    con.close()


def test_a_load_and_the_kpis_work_on_a_sandboxed_workspace(ws):
    """The sage export: 10 rows, all loaded, through the child and the sandboxed workspace;
    the overview computes on it (the Arrow data reaches it without any file access)."""
    report = load_files(ws, [InputFile(SMALL)])
    assert report.rows_loaded + report.rows_rejected == report.rows_read == 10
    overview = kpis.overview(ws.cursor(), date(2026, 6, 30), dataset_id=report.dataset_id)
    assert overview is not None


def test_hostile_headers_and_names_are_stored_as_data_never_run(ws, tmp_path):
    """Headers and values written as SQL stay text: the tables are all there, the name is
    stored as it was typed, and the amount total is the two invoices' 100 + 50."""
    name = "x'); DROP TABLE invoices; --"
    source = tmp_path / "injection.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow([*SAGE_HEADERS, 'x") FROM invoices; DROP TABLE datasets --'])
        writer.writerow(["F1", "C1", name, "05/01/2026", "04/02/2026", "100,00", "a"])
        writer.writerow(["F2", "C2", name, "06/01/2026", "05/02/2026", "50,00", "b"])
    report = load_files(ws, [InputFile(source)])
    assert report.rows_loaded == 2
    cur = ws.cursor()
    stored = cur.execute(
        "SELECT DISTINCT customer_name, sum(amount) OVER () FROM invoices WHERE dataset_id = ?",
        [report.dataset_id],
    ).fetchall()
    assert stored == [(name, Decimal("150.00"))]
    assert [d.dataset_id for d in ws.datasets()] == [report.dataset_id]
