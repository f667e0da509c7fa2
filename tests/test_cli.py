"""The command line, run as a user runs it: `python -m analytics ...` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def run(*args: str, workspace: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if workspace is not None:
        env["ENCOURS_WORKSPACE"] = str(workspace)
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ingest_loads_a_file_into_the_workspace_and_lists_it(tmp_path):
    ws = tmp_path / "w.duckdb"
    done = run("ingest", str(DATA / "styles/sage_fr_cp1252.csv"), workspace=ws)
    assert done.returncode == 0, done.stderr
    assert "dataset 1" in done.stdout and "10 rows loaded, 0 rejected" in done.stdout
    listed = run("datasets", workspace=ws)
    assert listed.returncode == 0
    assert listed.stdout.startswith("1\tsage_fr_cp1252.csv\t10 rows")


def test_ingesting_the_same_bytes_twice_says_it_is_already_loaded(tmp_path):
    ws = tmp_path / "w.duckdb"
    run("ingest", str(DATA / "styles/odoo_en.csv"), workspace=ws)
    again = run("ingest", str(DATA / "styles/odoo_en.csv"), workspace=ws)
    assert again.returncode == 0
    assert "already loaded as dataset 1" in again.stdout


def test_rejected_rows_are_reported_on_stderr_with_their_line(tmp_path):
    done = run("ingest", str(DATA / "malformed/ragged_rows.csv"), workspace=tmp_path / "w.duckdb")
    assert done.returncode == 0
    assert "3 rejected" in done.stdout
    assert "ragged_rows.csv, row 3: row has 4 fields, the header has 5" in done.stderr


def test_delete_removes_a_dataset_and_an_unknown_one_is_an_error(tmp_path):
    ws = tmp_path / "w.duckdb"
    run("ingest", str(DATA / "styles/odoo_en.csv"), workspace=ws)
    assert run("delete", "1", workspace=ws).returncode == 0
    gone = run("delete", "1", workspace=ws)
    assert gone.returncode == 2
    assert gone.stderr.strip() == "error: no dataset 1 in the workspace"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ingest", "tests/data/malformed/image.png"],
            "image.png: not a table (it is a PNG image)",
        ),
        (["ingest", "tests/data/malformed/empty.csv"], "empty.csv, row 1: the file is empty"),
        (["ingest", "no/such/file.csv"], "file.csv: no such file"),
        (["kpis", "--invoices", "x.csv"], "the following arguments are required: --as-of"),
        (
            [
                "kpis",
                "--invoices",
                "tests/data/malformed/missing_amount_column.csv",
                "--as-of",
                "2026-03-31",
            ],
            "missing_amount_column.csv: no column for the amount",
        ),
        (
            ["kpis", "--invoices", "x.csv", "--as-of", "31/03/2026"],
            "is not a date (expected YYYY-MM-DD)",
        ),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_input_that_cannot_give_figures_exits_2_with_one_line_and_no_traceback(
    tmp_path, args, message
):
    done = run(*args, workspace=tmp_path / "w.duckdb")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
