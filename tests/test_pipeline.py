"""From files to a dataset: every export style of the corpus loads with its control totals,
every malformed file is refused with a message naming it, and nothing already loaded is lost."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from analytics import pipeline
from analytics.ingest import IngestError
from analytics.pipeline import InputFile, LoadError, load_files
from analytics.store import Workspace

DATA = Path(__file__).parent / "data"
STYLES_DIR = DATA / "styles"
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
STYLES = {s["file"]: s for s in MANIFEST["styles"]}
#: Where the export has both a gross amount and an open balance, the gross amount is the amount.
GROSS_OVER_OPEN_BALANCE = {
    "styles/odoo_en.csv": "Total",
    "styles/xero_aged_receivables.csv": "Total",
}

#: Malformed files refused as a whole, with the words the message must contain.
REFUSED = {
    "malformed/empty.csv": "the file is empty",
    "malformed/blank_lines_only.csv": "only blank lines",
    "malformed/header_only.csv": "no data rows",
    "malformed/recipe.txt": "not a table",
    "malformed/wide_20000_columns.csv": "more than 1000",
    "malformed/image.png": "PNG image",
    "malformed/picture_named.csv": "PNG image",
    "malformed/nul_bytes.csv": "NUL bytes",
    "malformed/missing_amount_column.csv": "no column for the amount",
    "malformed/really_a_csv.xlsx": "CSV file renamed",
    "malformed/broken.xlsx": "not a readable spreadsheet",
    "malformed/single_column.txt": "not a table",
    "malformed/empty_headers.csv": "no column for the amount",
}

#: Malformed files that load, with rows rejected: (read, loaded, rejected, words in a reason).
PARTLY_LOADED = {
    "malformed/ragged_rows.csv": (6, 3, 3, "row has 4 fields, the header has 5"),
    "malformed/impossible_dates.csv": (4, 1, 3, "is not a real calendar date"),
    "malformed/amounts_in_words.csv": (3, 1, 2, "is not an amount"),
    "malformed/title_block_and_totals.csv": (4, 3, 1, "a totals row"),
}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path / "workspace.duckdb")
    yield w
    w.close()


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_export_style_loads_every_row_with_its_control_total(ws: Workspace, name: str):
    style = STYLES[name]
    report = load_files(ws, [InputFile(DATA / name)])
    [f] = report.files
    assert f.table == "invoices"
    assert f.rows_read == style["rows_read"]
    assert f.rows_loaded == style["rows_read"]
    assert f.rows_rejected == 0
    expected_header = GROSS_OVER_OPEN_BALANCE.get(name, style["amount_header"])
    assert f.mapping.matches["amount"].source_header == expected_header
    assert f.amount_read == Decimal(style["control_total"])
    stored = (
        ws.cursor()
        .execute(
            "SELECT count(*), sum(amount) FROM invoices WHERE dataset_id = ?", [report.dataset_id]
        )
        .fetchone()
    )
    assert stored == (style["rows_read"], Decimal(style["control_total"]))


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_export_style_reads_its_dates_as_the_manifest_says(ws: Workspace, name: str):
    style = STYLES[name]
    report = load_files(ws, [InputFile(DATA / name)])
    m = report.files[0].mapping
    by_header = {x.source_header: c for c, x in m.matches.items()}
    for check in style["dates"]:
        column = by_header.get(check["header"])
        if column is None or column not in ("invoice_date", "due_date", "settled_date"):
            continue
        sql = "SELECT strftime(" + column + ", '%Y-%m-%d') FROM invoices WHERE line_no = ?"
        assert ws.cursor().execute(sql, [check["line_no"]]).fetchone()[0] == check["value"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_malformed_file_is_refused_with_a_message_naming_it(ws: Workspace, name: str):
    with pytest.raises((LoadError, IngestError)) as err:
        load_files(ws, [InputFile(DATA / name)])
    message = str(err.value)
    assert Path(name).name in message
    assert REFUSED[name] in message
    assert ws.datasets() == []


@pytest.mark.parametrize("name", sorted(PARTLY_LOADED))
def test_a_damaged_file_loads_its_good_rows_and_rejects_the_others_with_reasons(
    ws: Workspace, name: str
):
    read, loaded, rejected, words = PARTLY_LOADED[name]
    report = load_files(ws, [InputFile(DATA / name)])
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (read, loaded, rejected)
    rejects = ws.rejected_rows(report.dataset_id)
    assert len(rejects) == rejected
    assert rejects["line_no"].notna().all()
    assert any(words in r for r in rejects["reason"])


def test_ragged_rows_are_rejected_on_their_own_lines_and_good_rows_keep_theirs(ws: Workspace):
    report = load_files(ws, [InputFile(DATA / "malformed/ragged_rows.csv")])
    rejects = ws.rejected_rows(report.dataset_id)
    assert sorted(rejects["line_no"].tolist()) == [3, 4, 7]
    lines = ws.cursor().execute("SELECT line_no FROM invoices ORDER BY line_no").fetchall()
    assert [x for (x,) in lines] == [2, 6, 8]


def test_identical_bytes_are_recognised_as_the_dataset_already_loaded(ws: Workspace, tmp_path):
    first = load_files(ws, [InputFile(DATA / "styles/sage_fr_cp1252.csv")])
    copy = tmp_path / "renamed.csv"
    shutil.copy(DATA / "styles/sage_fr_cp1252.csv", copy)
    again = load_files(ws, [InputFile(copy)])
    assert again.already_loaded and again.dataset_id == first.dataset_id
    assert len(ws.datasets()) == 1


def test_a_failed_load_leaves_the_datasets_already_loaded_intact(ws: Workspace):
    good = load_files(ws, [InputFile(DATA / "styles/quickbooks_us.csv")])
    before = ws.cursor().execute("SELECT count(*), sum(amount) FROM invoices").fetchone()
    with pytest.raises((LoadError, IngestError)):
        load_files(
            ws,
            [InputFile(DATA / "styles/odoo_en.csv"), InputFile(DATA / "malformed/nul_bytes.csv")],
        )
    assert [d.dataset_id for d in ws.datasets()] == [good.dataset_id]
    after = ws.cursor().execute("SELECT count(*), sum(amount) FROM invoices").fetchone()
    assert after == before


def test_a_duplicate_invoice_number_across_two_files_is_rejected_once(ws: Workspace, tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("Invoice No,Customer ID,Invoice Date,Amount\nF1,C1,2026-01-05,100.00\n")
    b.write_text(
        "Invoice No,Customer ID,Invoice Date,Amount\nF2,C1,2026-01-06,50.00\nF1,C2,2026-01-07,70.00\n"
    )
    report = load_files(ws, [InputFile(a), InputFile(b)])
    assert report.rows_loaded == 2 and report.rows_rejected == 1
    [reason] = ws.rejected_rows(report.dataset_id)["reason"].tolist()
    assert reason == "duplicate invoice number F1 (first on line 2 of a.csv)"


@pytest.mark.parametrize("bounded", [True, False])
def test_two_files_of_one_name_are_two_files(ws: Workspace, tmp_path, bounded):
    """Two exports both called factures.csv: the second is named factures.csv (2) everywhere,
    its own rows load, and only its true duplicates are rejected. (Both copies of every row
    were rejected when files were told apart by name: 2 read, 0 loaded.)"""
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    head = "Invoice No,Customer ID,Invoice Date,Amount\n"
    a, b = tmp_path / "d1" / "factures.csv", tmp_path / "d2" / "factures.csv"
    a.write_text(head + "F1,C1,2026-01-05,100.00\nF2,C1,2026-01-06,50.00\n")
    b.write_text(head + "F3,C2,2026-01-07,70.00\nF1,C2,2026-01-08,30.00\n")
    report = load_files(ws, [InputFile(a), InputFile(b)], bounded=bounded)
    # F1, F2 of the first file and F3 of the second load: 100 + 50 + 70 = 220.00
    assert (report.rows_loaded, report.rows_rejected) == (3, 1)
    total = ws.cursor().execute("SELECT sum(amount) FROM invoices").fetchone()[0]
    assert total == Decimal("220.00")
    assert [f.file for f in report.files] == ["factures.csv", "factures.csv (2)"]
    rejected = ws.rejected_rows(report.dataset_id)
    assert rejected[["source_file", "line_no", "reason"]].values.tolist() == [
        ["factures.csv (2)", 3, "duplicate invoice number F1 (first on line 2 of factures.csv)"]
    ]


def test_the_same_file_twice_loads_once_and_rejects_its_copy(ws: Workspace):
    sample = DATA / "styles" / "odoo_en.csv"
    report = load_files(ws, [InputFile(sample), InputFile(sample)], bounded=False)
    once = load_files(ws, [InputFile(sample)], bounded=False)
    assert report.rows_loaded == once.rows_loaded == report.rows_rejected > 0


def test_distinct_names_skip_a_name_another_file_already_has():
    files = [InputFile(Path("x/a.csv")), InputFile(Path("y/a.csv"), name="a.csv (2)")]
    files.append(InputFile(Path("z/a.csv")))
    names = [f.display_name for f in pipeline.distinct_names(files)]
    assert names == ["a.csv", "a.csv (2)", "a.csv (3)"]


def test_a_missing_due_date_becomes_invoice_date_plus_30_days_and_is_flagged(ws, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("Invoice No,Customer ID,Invoice Date,Due Date,Amount\nF1,C1,2026-01-31,,100.00\n")
    report = load_files(ws, [InputFile(f)])
    due, imputed = ws.cursor().execute("SELECT due_date, due_date_imputed FROM invoices").fetchone()
    assert (str(due), imputed) == ("2026-03-02", True)  # 31 Jan + 30 days = 2 March
    flags = ws.quality_flags(report.dataset_id)
    assert "missing due date (invoice date + 30 days used)" in flags["flag"].tolist()


def test_a_file_without_customer_codes_uses_the_customer_names_as_keys(ws: Workspace):
    report = load_files(ws, [InputFile(DATA / "styles/xero_aged_receivables.csv")])
    assert report.rows_rejected == 0
    ids, names = (
        ws.cursor()
        .execute(
            "SELECT list(customer_id ORDER BY line_no), list(customer_name ORDER BY line_no) "
            "FROM invoices"
        )
        .fetchone()
    )
    assert ids == names
    assert any("customer name" in n for n in report.files[0].notes)


def test_the_mapping_confirmed_for_an_export_is_reused_on_the_next_upload(ws, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("Ref,Client code,Doc date,Gross\nF1,C1,2026-01-05,100.00\n")
    overrides = {"invoices": {"invoice_id": "Ref", "amount": "Gross", "invoice_date": "Doc date"}}
    load_files(ws, [InputFile(first, table="invoices", overrides=overrides)])
    second = tmp_path / "second.csv"
    second.write_text("Ref,Client code,Doc date,Gross\nF2,C1,2026-02-05,40.00\n")
    report = load_files(ws, [InputFile(second)])
    m = report.files[0].mapping
    assert m.matches["amount"].source_header == "Gross"
    assert m.matches["amount"].method == "saved"


def test_a_ledger_without_any_payment_information_is_flagged(ws: Workspace, tmp_path):
    """Invoices alone, without a settlement date: every invoice counts as unpaid, and the load
    says so. With a payments file, or a settlement date column, it does not."""
    head = "Invoice No,Customer ID,Invoice Date,Amount"
    alone = tmp_path / "alone.csv"
    alone.write_text(head + "\nF1,C1,2026-01-05,100.00\n")
    flags = ws.quality_flags(load_files(ws, [InputFile(alone)]).dataset_id)
    assert "no payment information" in flags["flag"].tolist()
    settled = tmp_path / "settled.csv"
    settled.write_text(head + ",Settlement date\nF1,C1,2026-01-05,100.00,2026-02-01\n")
    flags = ws.quality_flags(load_files(ws, [InputFile(settled)]).dataset_id)
    assert "no payment information" not in flags["flag"].tolist()
    pay = tmp_path / "pay.csv"
    pay.write_text("Payment date,Invoice No,Amount\n2026-02-01,F1,100.00\n")
    flags = ws.quality_flags(load_files(ws, [InputFile(alone), InputFile(pay)]).dataset_id)
    assert "no payment information" not in flags["flag"].tolist()


def payment_currencies(ws: Workspace, dataset_id: int) -> list[str]:
    sql = "SELECT currency FROM payments WHERE dataset_id = ? ORDER BY ALL"
    return [r[0] for r in ws.cursor().execute(sql, [dataset_id]).fetchall()]


def test_a_currency_named_by_the_amount_header_is_the_files_and_its_payments(ws, tmp_path):
    """'Betrag CHF' and no currency column: the invoices are in CHF (they were counted as EUR),
    and payments without a currency of their own follow them (else a customer's cash would
    be EUR against CHF invoices). A payments file with a currency column keeps its own."""
    inv = STYLES_DIR / "swiss_apostrophe.csv"
    pay = tmp_path / "pay.csv"
    pay.write_text("Payment date,Invoice No,Amount\n2026-02-10,FA-2026-0001,1000.00\n")
    report = load_files(ws, [InputFile(inv), InputFile(pay)])
    con = ws.cursor()
    assert con.execute("SELECT DISTINCT currency FROM invoices").fetchall() == [("CHF",)]
    assert con.execute("SELECT DISTINCT currency FROM payments").fetchall() == [("CHF",)]
    assert report.files[0].notes[-1] == (
        "currency CHF for 10 rows naming none, from the header of the amount column (Betrag CHF)"
    )
    assert (
        report.files[1].notes[-1]
        == "currency CHF for 1 payments naming none, that of every invoice"
    )
    own = tmp_path / "own.csv"
    own.write_text("Payment date,Invoice No,Amount,Currency\n2026-02-10,FA-2026-0001,5.00,EUR\n")
    report = load_files(ws, [InputFile(inv), InputFile(own)])
    assert payment_currencies(ws, report.dataset_id) == ["EUR"]


def test_blank_currency_cells_take_the_headers_and_payments_follow_a_currency_column(
    ws: Workspace, tmp_path
):
    """'Montant CHF' with a Devise column blank on F2: F2 is CHF too (it was EUR, and the load
    said 'several currencies'). Invoices all in USD by their column: a payment naming no
    currency is USD (it was EUR, cash apart from its customer's invoices)."""
    chf = tmp_path / "chf.csv"
    chf.write_text(
        "N° facture;Code client;Date facture;Montant CHF;Devise\n"
        "F1;C1;05/01/2026;100,00;CHF\nF2;C1;06/01/2026;50,00;\n"
    )
    report = load_files(ws, [InputFile(chf)])
    con = ws.cursor()
    assert con.execute("SELECT DISTINCT currency FROM invoices").fetchall() == [("CHF",)]
    assert "several currencies" not in ws.quality_flags(report.dataset_id)["flag"].tolist()
    usd = tmp_path / "usd.csv"
    usd.write_text(
        "Invoice No,Customer ID,Invoice Date,Amount,Currency\nU1,C9,2026-01-05,80.00,USD\n"
    )
    pay = tmp_path / "pay.csv"
    pay.write_text("Payment date,Customer ID,Amount\n2026-02-10,C9,30.00\n")
    report = load_files(ws, [InputFile(usd), InputFile(pay)])
    assert payment_currencies(ws, report.dataset_id) == ["USD"]


def test_a_payments_file_whose_every_row_is_rejected_is_no_payment_information(ws, tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text("Invoice No,Customer ID,Invoice Date,Amount\nF1,C1,2026-01-05,100.00\n")
    pay = tmp_path / "pay.csv"
    pay.write_text("Payment date,Invoice No,Amount\nnot a date,F1,100.00\n")
    report = load_files(ws, [InputFile(inv), InputFile(pay)])
    assert report.rows_rejected == 1
    assert "no payment information" in ws.quality_flags(report.dataset_id)["flag"].tolist()


def test_several_currencies_are_flagged_not_summed_silently(ws: Workspace, tmp_path):
    f = tmp_path / "fx.csv"
    f.write_text(
        "Invoice No,Customer ID,Invoice Date,Amount,Currency\n"
        "F1,C1,2026-01-05,100.00,EUR\nF2,C2,2026-01-05,80.00,USD\n"
    )
    report = load_files(ws, [InputFile(f)])
    flags = ws.quality_flags(report.dataset_id)
    assert "several currencies" in flags["flag"].tolist()


def test_a_payments_file_alone_is_not_a_ledger(ws: Workspace, tmp_path):
    f = tmp_path / "pay.csv"
    f.write_text("Payment date,Customer ID,Amount\n2026-01-05,C1,100.00\n")
    with pytest.raises(LoadError, match=r"^pay.csv \(payments\): no invoices file among these"):
        load_files(ws, [InputFile(f)])


def test_payments_naming_an_unknown_invoice_are_kept_and_flagged(ws: Workspace, tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text("Invoice No,Customer ID,Invoice Date,Amount\nF1,C1,2026-01-05,100.00\n")
    pay = tmp_path / "pay.csv"
    pay.write_text("Payment date,Invoice No,Customer ID,Amount\n2026-01-20,F9,C1,30.00\n")
    report = load_files(ws, [InputFile(inv), InputFile(pay)])
    assert report.rows_loaded == 2
    flags = ws.quality_flags(report.dataset_id)
    assert "refers to an invoice not in the ledger" in flags["flag"].tolist()


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (None, "4096MiB"),  # half of the default 8192 MiB the parsing child may use
        ("1GiB", "1024MiB"),  # ENCOURS_MEMORY_LIMIT below that share bounds the parse too
        ("64GiB", "4096MiB"),  # above it, the share stands
        ("128MiB", "128MiB"),  # the least ENCOURS_MEMORY_LIMIT accepted
    ],
)
def test_the_parse_runs_under_the_memory_limit_too(monkeypatch, tmp_path, limit, expected):
    if limit is None:
        monkeypatch.delenv("ENCOURS_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", limit)
    config = pipeline._staging_config(pipeline.DEFAULT_LIMITS, tmp_path)
    assert config["memory_limit"] == expected


def test_the_raw_text_tables_are_dropped_once_the_files_are_staged():
    """Every field as text is the largest part of the staging; once the rows are typed and the
    duplicates found (their raw lines kept), the raw tables go."""
    files = [InputFile(p) for p in sorted((DATA.parent.parent / "data" / "sample").glob("*.csv"))]
    con, staged, _ = pipeline.stage_files(files)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert all(s.raw_table is None for s in staged)
        assert not any(t.startswith("raw_") for t in tables)
        assert {s.typed for s in staged} <= tables
    finally:
        con.close()
