"""The command line, run as a user runs it: `python -m analytics ...` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def run(
    *args: str, workspace: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = dict(os.environ) | (extra_env or {})
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


def test_a_dataset_name_is_one_line_of_the_listing(tmp_path):
    ws = tmp_path / "w.duckdb"
    name = "Export\tjanvier\nfaux 99\tligne"
    done = run("ingest", "--name", name, str(DATA / "styles/odoo_en.csv"), workspace=ws)
    assert done.returncode == 0, done.stderr
    listed = run("datasets", workspace=ws).stdout.splitlines()
    assert len(listed) == 1 and listed[0].split("\t")[:2] == ["1", "Export janvier faux 99 ligne"]


def test_a_file_name_with_line_breaks_cannot_forge_a_row_of_the_listing(tmp_path):
    ws = tmp_path / "w.duckdb"
    forged = tmp_path / "fac\n99\tforged\t1 rows.csv"
    forged.write_text("Invoice No,Customer ID,Invoice Date,Amount\nF1,C1,2026-01-05,10.00\n")
    assert run("ingest", str(forged), workspace=ws).returncode == 0
    listed = run("datasets", workspace=ws).stdout.splitlines()
    assert len(listed) == 1 and listed[0].split("\t")[1] == "fac 99 forged 1 rows.csv"


def test_listing_or_deleting_in_a_workspace_that_does_not_exist_creates_nothing(tmp_path):
    ws = tmp_path / "typo" / "w.duckdb"
    for args in (["datasets"], ["delete", "1"]):
        done = run(*args, workspace=ws)
        assert done.returncode == 2
        assert done.stderr.strip() == f"error: no workspace at {ws} (ingest creates one)"
    assert not (tmp_path / "typo").exists()


def test_a_mapping_file_naming_an_unknown_table_is_refused(tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text('{"invoice": {"amount": "Total"}}')
    done = run("ingest", "--mapping", str(mapping), str(DATA / "styles/odoo_en.csv"))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: m.json: no table 'invoice' (the tables are invoices, payments, customers, "
        "write_offs)"
    )


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
        (
            ["kpis", "--invoices", "tests/data", "--as-of", "2026-03-31"],
            "--invoices tests/data: a folder, not a file",
        ),
        (
            [
                "kpis",
                "--invoices",
                "x.csv",
                "--as-of",
                "2026-03-31",
                "--period-days",
                "99999999999",
            ],
            "argument --period-days: '99999999999' is not a whole number of days from 1 to 3660",
        ),
        (
            ["kpis", "--invoices", "x.csv", "--as-of", "2026-03-31", "--currency", " "],
            "argument --currency: ' ' is not a currency code",
        ),
        (
            ["ingest", "--workspace", "tests/data/styles/odoo_en.csv", "data/sample/invoices.csv"],
            "the workspace odoo_en.csv is not a database file",
        ),
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


SAMPLE = ROOT / "data" / "sample"
SECTION_10_KEYS = {
    "as_of",
    "currency",
    "rows",
    "invoices",
    "customers_with_balance",
    "outstanding",
    "not_due",
    "overdue",
    "overdue_share",
    "aging",
    "sales_period",
    "period_days",
    "dso_period",
    "dso_average",
    "dso_countback",
    "bpdso",
    "add",
    "cei",
    "payment",
    "concentration",
    "losses",
    "legal",
}


@pytest.fixture(scope="module")
def sample_kpis() -> tuple[dict, str]:
    import json

    done = run(
        "kpis",
        "--invoices",
        str(SAMPLE / "invoices.csv"),
        "--payments",
        str(SAMPLE / "payments.csv"),
        "--customers",
        str(SAMPLE / "customers.csv"),
        "--write-offs",
        str(SAMPLE / "write_offs.csv"),
        "--as-of",
        "2026-10-31",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_kpis_json_has_every_key_of_the_specification(sample_kpis):
    figures, _ = sample_kpis
    assert set(figures) == SECTION_10_KEYS
    assert set(figures["payment"]) == {
        "avg_days_to_pay",
        "weighted_days_late",
        "avg_days_late",
        "on_time_rate",
    }
    assert set(figures["concentration"]) == {
        "top10_share",
        "hhi",
        "effective_customers",
        "gini",
        "customers_for_80pct",
    }
    assert set(figures["losses"]) == {
        "write_off_ratio_12m",
        "doubtful",
        "doubtful_share",
        "provision",
    }
    assert set(figures["legal"]) == {"late_invoices", "penalties", "indemnities", "terms_breaches"}


def test_kpis_json_rows_reconcile_and_buckets_sum_to_outstanding(sample_kpis):
    figures, _ = sample_kpis
    rows = figures["rows"]
    assert rows["read"] == rows["loaded"] + rows["rejected"]
    assert [b["bucket"] for b in figures["aging"]] == [
        "not_due",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        ">120",
    ]
    cents = sum(round(b["amount"] * 100) for b in figures["aging"])
    assert cents == round(figures["outstanding"] * 100)
    assert figures["aging"][0]["amount"] == figures["not_due"]
    assert round((figures["outstanding"] - figures["not_due"]) * 100) == round(
        figures["overdue"] * 100
    )


def test_kpis_on_a_ledger_in_several_currencies_names_the_currency_it_reports(sample_kpis):
    figures, stderr = sample_kpis
    assert figures["currency"] == "EUR"
    assert "the ledger also has USD, GBP: use --currency to report another" in stderr


THREE_INVOICES = (
    "Invoice No,Customer ID,Invoice Date,Due Date,Amount,Currency\n"
    "F1,C1,2026-01-05,2026-02-04,100.00,EUR\nF2,C2,2026-01-05,2026-02-04,70.00,USD\n"
    "F3,C2,2026-01-06,2026-02-05,30.00,USD\n"
)


def test_kpis_currency_is_matched_whatever_its_case_and_an_unknown_one_names_the_option(
    tmp_path,
):
    import json

    f = tmp_path / "inv.csv"
    f.write_text(THREE_INVOICES)
    done = run("kpis", "--invoices", str(f), "--as-of", "2026-03-31", "--currency", "usd", "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert (figures["currency"], figures["outstanding"]) == ("USD", 100.0)  # 70.00 + 30.00
    done = run("kpis", "--invoices", str(f), "--as-of", "2026-03-31", "--currency", "XYZ")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: --currency XYZ: no XYZ amounts in the ledger at 2026-03-31; it has EUR, USD"
    )


def test_an_invoice_file_given_as_payments_is_questioned(tmp_path):
    """The sample's invoices have a date column ('Date de classement douteux') that passes for
    a payment date: they load as payments, as asked, with a warning. Three invoices without
    such a column are refused, and the message says what they look like."""
    doubt = (
        "given as payments, but its columns are those of invoices (100% sure): check that this "
        "is the payments file"
    )
    invoices = str(SAMPLE / "invoices.csv")
    done = run("kpis", "--invoices", invoices, "--payments", invoices, "--as-of", "2026-10-31")
    assert done.returncode == 0, done.stderr
    assert f"warning: invoices.csv (2): {doubt}" in done.stderr.splitlines()
    f = tmp_path / "inv.csv"
    f.write_text(THREE_INVOICES)
    done = run("kpis", "--invoices", str(f), "--payments", str(f), "--as-of", "2026-03-31")
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"; {doubt}")
    right = run("kpis", "--invoices", str(f), "--as-of", "2026-03-31")
    assert "warning" not in right.stderr


def test_a_warning_is_one_line_naming_the_rate_table_in_force(tmp_path):
    """A rate table starting in 2026 does not cover the late days of 2025: the penalty is
    None, and the warning names that table, in one line with no source code."""
    rates = tmp_path / "rates.csv"
    rates.write_text("effective_date,rate_percent,source\n2026-01-01,2.15,test\n")
    f = tmp_path / "inv.csv"
    f.write_text(
        "Invoice No,Customer ID,Invoice Date,Due Date,Amount\nF1,C1,2025-09-01,2025-10-01,100.00\n"
    )
    done = run(
        "kpis",
        "--invoices",
        str(f),
        "--as-of",
        "2026-03-31",
        extra_env={"ENCOURS_ECB_RATES": str(rates)},
    )
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warning) == 1 and str(rates) in warning[0]
    assert "warnings.warn" not in done.stderr and ".py:" not in done.stderr


def test_running_out_of_duckdb_memory_is_one_line_naming_the_limit(monkeypatch, capsys):
    import duckdb

    from analytics import cli

    def out_of_memory(args):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block\n\nTips")

    monkeypatch.setitem(cli.COMMANDS, "datasets", out_of_memory)
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "256MiB")
    assert cli.main(["datasets"]) == 2
    assert capsys.readouterr().err == (
        "error: this needs more memory than ENCOURS_MEMORY_LIMIT=256MiB allows "
        "(Out of Memory Error: failed to pin block)\n"
    )


def test_kpis_as_of_before_the_first_invoice_gives_zero_outstanding_and_null_dso(tmp_path):
    import json

    f = tmp_path / "inv.csv"
    f.write_text(
        "Invoice No,Customer ID,Invoice Date,Due Date,Amount\nF1,C1,2026-01-05,2026-02-04,100.00\n"
    )
    done = run("kpis", "--invoices", str(f), "--as-of", "2025-12-31", "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["outstanding"] == 0
    assert figures["dso_period"] is None and figures["overdue_share"] is None
    assert done.stderr.splitlines()[-1] == (
        "warning: the first invoice is dated 2026-01-05, after --as-of 2025-12-31: nothing is "
        "outstanding yet"
    )
    text = run("kpis", "--invoices", str(f), "--as-of", "2025-12-31").stdout
    assert text.splitlines()[0] == "Receivables as of 2025-12-31"


def test_kpis_hand_computed_on_three_invoices(tmp_path):
    """As of 2026-03-31, P = 90 days (window 1 Jan - 31 Mar 2026):
    F1 1,000.00 due 2026-02-04, paid 400.00 on 2026-02-20 -> open 600.00, 55 days past due
    F2   500.00 due 2026-04-15                               -> open 500.00, not due
    F3  -100.00 credit note due 2026-03-31 (due today)       -> open -100.00, not due
    outstanding = 600 + 500 - 100 = 1,000.00; not due = 400.00; overdue = 600.00 (31-60)
    sales(D-90, D] = 1,000 + 500 - 100 = 1,400.00
    DSO period = 1,000 / 1,400 x 90 = 64.2857 -> 64.29 days
    BPDSO = 400 / 1,400 x 90 = 25.71; ADD = 64.29 - 25.71 = 38.57
    """
    import json

    inv = tmp_path / "inv.csv"
    inv.write_text(
        "Invoice No,Customer ID,Invoice Date,Due Date,Amount\n"
        "F1,C1,2026-01-05,2026-02-04,1000.00\n"
        "F2,C2,2026-03-16,2026-04-15,500.00\n"
        "F3,C1,2026-03-01,2026-03-31,-100.00\n"
    )
    pay = tmp_path / "pay.csv"
    pay.write_text("Payment date,Invoice No,Amount\n2026-02-20,F1,400.00\n")
    done = run(
        "kpis", "--invoices", str(inv), "--payments", str(pay), "--as-of", "2026-03-31", "--json"
    )
    assert done.returncode == 0, done.stderr
    f = json.loads(done.stdout)
    assert (f["outstanding"], f["not_due"], f["overdue"]) == (1000.0, 400.0, 600.0)
    assert {b["bucket"]: b["amount"] for b in f["aging"]}["31-60"] == 600.0
    assert f["sales_period"] == 1400.0
    assert (f["dso_period"], f["bpdso"], f["add"]) == (64.29, 25.71, 38.57)
    assert f["overdue_share"] == 0.6


def test_large_lifts_the_upload_limits_and_gives_the_same_figures(tmp_path, monkeypatch, capsys):
    """With the file limit set to 0.0001 MiB (104 bytes) the 124-byte ledger below is refused;
    ``--large`` loads it: outstanding = F1 1,000.00 + F2 500.00 = 1,500.00 (nothing paid)."""
    import json

    from analytics import cli, pipeline

    inv = tmp_path / "inv.csv"
    inv.write_text(
        "Invoice No,Customer ID,Invoice Date,Due Date,Amount\n"
        "F1,C1,2026-01-05,2026-02-04,1000.00\n"
        "F2,C2,2026-03-16,2026-04-15,500.00\n"
    )
    assert inv.stat().st_size > 0.0001 * pipeline.MIB
    args = ["kpis", "--invoices", str(inv), "--as-of", "2026-03-31", "--json"]
    assert cli._limits(cli.build_parser().parse_args([*args, "--large"])) is pipeline.LARGE_LIMITS
    monkeypatch.setattr(cli, "DEFAULT_LIMITS", pipeline.Limits(max_file_mib=0.0001))
    assert cli.main(args) == 2
    assert "MiB limit" in capsys.readouterr().err
    assert cli.main([*args, "--large"]) == 0
    assert json.loads(capsys.readouterr().out)["outstanding"] == 1500.0


def test_kpis_on_files_too_large_for_memory_work_in_a_scratch_file_with_the_same_figures(
    tmp_path, monkeypatch, capsys, sample_kpis
):
    """Files whose staging would not fit the memory (here any files: the factor is made huge)
    are loaded into a database file in a private folder, removed afterwards, and give the same
    JSON as the in-memory workspace of the subprocess run."""
    import json

    from analytics import cli, pipeline, store

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    monkeypatch.setattr(pipeline, "STAGING_FACTOR", 10**12)
    opened: list[str] = []
    workspace = store.Workspace

    def spy(path, **kwargs):
        opened.append(str(path))
        return workspace(path, **kwargs)

    monkeypatch.setattr(cli, "Workspace", spy)
    tables = ("invoices", "payments", "customers", "write-offs")
    args = [a for t in tables for a in (f"--{t}", str(SAMPLE / f"{t.replace('-', '_')}.csv"))]
    assert cli.main(["kpis", *args, "--as-of", "2026-10-31", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == sample_kpis[0]
    assert len(opened) == 1 and opened[0].endswith("kpis.duckdb")
    assert Path(opened[0]).parent.parent == scratch
    assert list(scratch.iterdir()) == []
