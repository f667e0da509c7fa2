"""Excel and HTML exports (analytics/report.py), read back from the bytes written."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from analytics import report, views
from analytics.config import bucket_labels
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)
LABELS = bucket_labels()


@pytest.fixture
def book(tmp_path):
    """A 1000 due D (not due); B 600 due 05-30 paid 100 (31-60: 500); C 400 due 04-30
    (61-90); the name of C2 is a formula. Total 1900, per customer C1 1500 and C2 400."""
    return make_ledger(
        tmp_path / "r.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 31), "1000", D, customer_name="Alpha"),
            inv("B", "C1", date(2024, 4, 30), "600", date(2024, 5, 30), customer_name="Alpha"),
            inv(
                "C",
                "C2",
                date(2024, 3, 31),
                "400",
                date(2024, 4, 30),
                customer_name='=HYPERLINK("http://x")',
            ),
        ],
        payments=[pay(date(2024, 6, 10), "100", "B")],
    )


def sheets(data: bytes) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised():
    for text in ("=1+1", "+33 1", "-2", "@SUM(A1)", "\tx"):
        assert report.neutralise(text) == "'" + text
    assert report.neutralise("Dupont") == "Dupont"
    assert report.neutralise(12) == 12


def test_the_aged_balance_workbook_has_real_numbers_dates_and_a_totals_row(book):
    customers = views.aged_balance(book, D, dataset_id=1)
    invoices = views.open_invoices(book, D, dataset_id=1)
    data = report.aged_balance_xlsx(customers, invoices, LABELS, "fr", D)
    found = sheets(data)
    assert list(found) == ["Balance par client", "Factures ouvertes"]
    rows = found["Balance par client"]
    header = rows[2]
    assert header[:3] == ["Code client", "Client", "Devise"]
    body = rows[3:5]
    assert body[0][0] == "C1"
    total_col = header.index("Total")
    assert body[0][total_col] == 1500.0
    assert body[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[5][0] == "Total"
    assert rows[5][total_col] == 1900.0
    inv_rows = found["Factures ouvertes"]
    assert isinstance(inv_rows[3][3], date)


def test_the_header_row_is_frozen_and_numbers_carry_formats(book):
    customers = views.aged_balance(book, D, dataset_id=1)
    data = report.aged_balance_xlsx(customers, None, LABELS, "fr", D)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert 'state="frozen"' in sheet and 'ySplit="3"' in sheet
    assert "#,##0.00" in styles
    assert "<f>SUM(" in sheet


def test_an_empty_aged_balance_still_gives_a_workbook():
    empty = views.pd.DataFrame(
        columns=["customer_id", "customer_name", "currency", *LABELS, "total"]
    )
    found = sheets(report.aged_balance_xlsx(empty, None, LABELS, "en", D))
    assert list(found) == ["By customer"]


def report_data(con):
    return {
        "as_of": D,
        "filters": None,
        "labels": LABELS,
        "tiles": views.overview_tiles(con, D, dataset_id=1),
        "history": views.dso_history(con, D, dataset_id=1),
        "aged_totals": views.aged_totals(con, D, dataset_id=1),
        "top_overdue": views.top_overdue_customers(con, D, 10, dataset_id=1),
        "losses": views.losses_view(con, D, dataset_id=1),
    }


def test_the_monthly_report_workbook_holds_the_figures_and_charts(book):
    data = report.cfo_report_xlsx(report_data(book), "en")
    found = sheets(data)
    assert list(found) == ["Summary", "DSO", "Monthly aging", "Top risks", "Losses and provisions"]
    summary = found["Summary"]
    assert summary[3][0] == "Outstanding"
    assert summary[3][1] == 1900.0
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "xl/charts/chart1.xml" in z.namelist()
        assert "xl/charts/chart2.xml" in z.namelist()


def test_the_printable_report_escapes_the_data_and_formats_in_french(book):
    page = report.cfo_report_html(report_data(book), "fr")
    assert page.startswith("<!DOCTYPE html>")
    assert "Rapport mensuel — 30/06/2024" in page
    assert "1\u202f900,00\xa0€" in page
    assert "=HYPERLINK(&quot;http://x&quot;)" in page


def test_a_name_holding_html_never_reaches_the_report_as_markup(tmp_path):
    con = make_ledger(
        tmp_path / "x.duckdb",
        invoices=[
            inv(
                "A",
                "C1",
                date(2024, 1, 1),
                "10",
                date(2024, 1, 31),
                customer_name="<script>alert(1)</script>",
            )
        ],
    )
    page = report.cfo_report_html(report_data(con), "en")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
