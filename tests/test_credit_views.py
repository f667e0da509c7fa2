"""The credit pages' facade (analytics.credit_views) on small real DuckDB files."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import pytest
from python_calamine import CalamineWorkbook

from analytics import credit_views as cv
from analytics import forecast
from analytics.config import Settings
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)
KW = {"dataset_id": 1}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """Three customers at D = 30/06/2024.

    A (PME, limit 1,000.00, insured 500.00): A1 700.00 due 01/05 (60 days past due), A2 500.00
      due 01/07 (not due), A3 200.00 due 31/03 paid 10/04 (10 days late). Balance 1,200.00,
      overdue 700.00, utilisation 1,200 / 1,000 = 1.2 (breach), uninsured 1,200 - 500 = 700.
      A payment of 100.00 on A1 dated 05/07 is after D and ignored.
    B (TPE, no limit): B1 300.00 due 20/06 (10 days past due), disputed; B2 credit note -50.00.
      Balance 300 - 50 = 250.00.
    C (PME): C1 100.00 due 31/05, paid 05/06: nothing open.
    """
    con = make_ledger(
        tmp_path_factory.mktemp("book") / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 4, 1), "700.00", date(2024, 5, 1), customer_name="Alpha"),
            inv("A2", "A", date(2024, 6, 1), "500.00", date(2024, 7, 1), customer_name="Alpha"),
            inv("A3", "A", date(2024, 3, 1), "200.00", date(2024, 3, 31), customer_name="Alpha"),
            inv("B1", "B", date(2024, 6, 15), "300.00", date(2024, 6, 20), disputed=True),
            inv("B2", "B", date(2024, 6, 20), "-50.00", date(2024, 6, 20)),
            inv("C1", "C", date(2024, 5, 1), "100.00", date(2024, 5, 31)),
        ],
        payments=[
            pay(date(2024, 4, 10), "200.00", "A3"),
            pay(date(2024, 6, 5), "100.00", "C1"),
            pay(date(2024, 7, 5), "100.00", "A1"),
        ],
        customers=[
            {
                "customer_id": "A",
                "customer_name": "Alpha",
                "segment": "PME",
                "credit_limit": "1000.00",
                "insured_limit": "500.00",
            },
            {"customer_id": "B", "customer_name": "=Beta()", "segment": "TPE"},
            {"customer_id": "C", "customer_name": "Gamma", "segment": "PME"},
        ],
    )
    yield con
    con.close()


def by_id(frame: pd.DataFrame, key: str = "customer_id") -> dict:
    return {r[key]: r for r in frame.to_dict("records")}


def test_the_customers_table_joins_balance_limit_risk_and_delays(book):
    """A: balance 1,200.00, overdue 700.00, oldest 60 days past due, utilisation 1.2 and a
    breach; days late 10 (A3 paid 10 days after its due date, the only settled invoice)."""
    rows = by_id(cv.customers_table(book, D, **KW))
    a = rows["A"]
    assert (a["balance"], a["overdue"]) == (Decimal("1200.00"), Decimal("700.00"))
    assert a["oldest_dpd"] == 60
    assert a["utilisation"] == pytest.approx(1.2)
    assert a["breach"] is True
    assert a["days_late"] == pytest.approx(10.0)
    assert a["risk_band"] == cv.risk_band(a["risk_score"])
    assert rows["B"]["balance"] == Decimal("250.00")
    assert rows["B"]["utilisation"] is None and rows["B"]["breach"] is None
    assert rows["B"]["days_late"] is None


def test_the_customers_table_is_sorted_by_balance_largest_first(book):
    balances = list(cv.customers_table(book, D, **KW)["balance"])
    assert balances == sorted(balances, reverse=True)


def test_an_empty_book_gives_an_empty_customers_table(tmp_path):
    con = make_ledger(tmp_path / "e.duckdb")
    frame = cv.customers_table(con, D, **KW)
    assert frame.empty and list(frame.columns) == cv.CUSTOMER_COLUMNS


def test_customers_filter_by_search_segment_band_and_breach(book):
    frame = cv.customers_table(book, D, **KW)
    assert list(cv.filter_customers(frame, search="alp")["customer_id"]) == ["A"]
    assert list(cv.filter_customers(frame, search="b")["customer_id"]) == ["B"]
    assert set(cv.filter_customers(frame, segments=["TPE"])["customer_id"]) == {"B"}
    assert list(cv.filter_customers(frame, breach_only=True)["customer_id"]) == ["A"]
    band = frame.loc[frame["customer_id"] == "A", "risk_band"].iloc[0]
    assert "A" in set(cv.filter_customers(frame, bands=[band])["customer_id"])


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "low"),
        (29.99, "low"),
        (30.0, "medium"),
        (59.9, "medium"),
        (60.0, "high"),
        (None, None),
    ],
)
def test_a_risk_score_falls_in_its_band(score, band):
    assert cv.risk_band(score) == band


def test_the_customer_header_gives_limit_utilisation_and_uninsured_exposure(book):
    head = cv.customer_header(book, D, customer_id="A", **KW)
    assert head["balance"] == Decimal("1200.00")
    assert head["credit_limit"] == Decimal("1000.00")
    assert head["insured_limit"] == Decimal("500.00")
    assert head["utilisation"] == pytest.approx(1.2)
    assert head["uninsured_exposure"] == Decimal("700.00")


def test_an_unknown_customer_has_no_header_and_no_name(book):
    assert cv.customer_header(book, D, customer_id="ZZZ", **KW) is None
    assert cv.customer_name(book, D, customer_id="ZZZ", **KW) is None
    assert cv.customer_name(book, D, customer_id="C", **KW) == "Gamma"


def test_the_customer_invoices_list_open_and_paid_items_with_their_status(book):
    """A1 and A2 open, A3 paid (no days past due shown); B2 is a credit note."""
    a = by_id(cv.customer_invoices(book, D, customer_id="A", **KW), "invoice_id")
    assert {k: r["status"] for k, r in a.items()} == {"A1": "open", "A2": "open", "A3": "paid"}
    assert a["A1"]["dpd"] == 60 and a["A3"]["dpd"] is None
    assert a["A3"]["settle_date"] == date(2024, 4, 10)
    b = by_id(cv.customer_invoices(book, D, customer_id="B", **KW), "invoice_id")
    assert b["B2"]["status"] == "credit_note"


def test_the_customer_payments_are_those_received_on_or_before_the_as_of_date(book):
    """A's payments: 200.00 on A3 (10/04); the 100.00 of 05/07 is after D."""
    frame = cv.customer_payments(book, D, customer_id="A", **KW)
    assert list(frame["amount"]) == [Decimal("200.00")]
    assert list(frame["payment_date"]) == [date(2024, 4, 10)]


def test_a_payment_naming_only_the_customer_is_listed_with_its_payments(tmp_path):
    con = make_ledger(
        tmp_path / "p.duckdb",
        invoices=[inv("X1", "X", date(2024, 6, 1), "80.00", date(2024, 7, 1))],
        payments=[pay(date(2024, 6, 10), "30.00", customer_id="X")],
    )
    frame = cv.customer_payments(con, D, customer_id="X", **KW)
    assert list(frame["amount"]) == [Decimal("30.00")]


def test_the_customer_disputes_are_its_open_disputed_items(book):
    assert list(cv.customer_disputes(book, D, customer_id="B", **KW)["invoice_id"]) == ["B1"]
    assert cv.customer_disputes(book, D, customer_id="A", **KW).empty


def test_the_customer_aging_reconciles_with_its_balance(book):
    """A: not due 500.00 (A2), 31-60 nothing, 61-90... A1 is 60 days past due: bucket 31-60."""
    row = cv.customer_aging(book, D, customer_id="A", **KW).iloc[0]
    assert row["not_due"] == Decimal("500.00")
    assert row["31-60"] == Decimal("700.00")
    assert row["total"] == Decimal("1200.00")
    assert row["overdue"] == Decimal("700.00")


def test_the_collections_view_puts_disputed_items_apart_and_sums_the_worklist(book):
    """Worklist: A1 700.00 (60 days: litigation) and A2 500.00 (due in 1 day: pre-reminder);
    B1 300.00 is disputed, apart."""
    view = cv.collections_view(book, D, **KW)
    assert set(view["items"]["invoice_id"]) == {"A1", "A2"}
    assert list(view["disputed"]["invoice_id"]) == ["B1"]
    totals = view["totals"]["EUR"]
    assert totals["amount"] == Decimal("1200.00")
    assert totals["disputed_amount"] == Decimal("300.00")
    stages = dict(zip(view["stages"]["stage"], view["stages"]["amount"], strict=True))
    assert stages == {"pre_reminder": Decimal("500.00"), "litigation": Decimal("700.00")}
    assert list(view["breaches"]["customer_id"]) == ["A"]
    assert view["uninsured"]["EUR"] == Decimal("700.00") + Decimal("250.00")


def test_the_collections_view_of_a_ledger_without_any_payment(tmp_path):
    """Invoices only (nothing settled, so no behaviour row): the worklist holds both invoices
    (X1 400.00 60 days past due, X2 250.00 due tomorrow: 650.00) and no customer is
    worsening. It raised KeyError('trend'): an empty mask selected columns."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("X1", "X", date(2024, 4, 1), "400.00", date(2024, 5, 1)),
            inv("X2", "X", date(2024, 6, 10), "250.00", date(2024, 7, 1)),
        ],
    )
    view = cv.collections_view(con, D, **KW)
    assert view["totals"]["EUR"]["amount"] == Decimal("650.00")
    assert set(view["items"]["invoice_id"]) == {"X1", "X2"}
    assert view["worsening"].empty and "customer_id" in view["worsening"].columns


def test_the_worklist_csv_is_french_with_formula_text_neutralised(book):
    items = cv.collections_view(book, D, **KW)["disputed"]
    text = cv.worklist_csv(items, "fr").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Rang" and len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Client"] == "'=Beta()"
    assert record["Reste dû"] == "300,00"
    assert record["Échéance"] == "2024-06-20"


def test_the_worklist_csv_in_english_uses_commas_and_decimal_points(book):
    items = cv.collections_view(book, D, **KW)["items"]
    rows = list(csv.reader(io.StringIO(cv.worklist_csv(items, "en").decode("utf-8-sig"))))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Open amount"] in {"700.00", "500.00"}
    assert record["Stage"] in {"Litigation", "Pre-reminder"}


def test_a_customer_invoice_export_keeps_every_row_and_neutralises_formulas(book):
    frame = cv.customer_invoices(book, D, customer_id="A", **KW).assign(invoice_id="=1+1")
    rows = list(
        csv.reader(io.StringIO(cv.frame_csv(frame, "fr").decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 1 + 3
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["N° facture"] == "'=1+1"
    assert record["Montant"] in {"700,00", "500,00", "200,00"}


def test_the_worklist_workbook_holds_real_numbers_dates_and_a_total(book, tmp_path):
    items = cv.collections_view(book, D, **KW)["items"]
    path = tmp_path / "w.xlsx"
    path.write_bytes(cv.worklist_xlsx(items, "fr", D))
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = sheet[2]
    col = header.index("Reste dû")
    values = [row[col] for row in sheet[3:5]]
    assert sorted(values) == [500.0, 700.0]
    assert sheet[5][col] == 1200.0
    assert isinstance(sheet[3][header.index("Échéance")], date)


def test_the_pooled_roll_matrix_weighs_each_month_by_its_amount():
    """not_due: 100 at M1 of which 50 paid, 300 at M2 of which 150 paid: (50 + 150) / 400."""
    rows = []
    for month, base, paid in (
        (date(2024, 5, 31), "100.00", "50.00"),
        (date(2024, 6, 30), "300.00", "150.00"),
    ):
        for to, amount in (("paid", paid), ("1-30", str(Decimal(base) - Decimal(paid)))):
            rows.append(
                {
                    "month_end": month,
                    "currency": "EUR",
                    "from_bucket": "not_due",
                    "from_amount": Decimal(base),
                    "to": to,
                    "amount": Decimal(amount),
                    "share": float(Decimal(amount) / Decimal(base)),
                }
            )
    roll = pd.DataFrame(rows)
    labels = ["not_due", "1-30", ">30"]
    pooled = cv.roll_matrix(roll, labels)
    assert pooled.iloc[0]["from_amount"] == Decimal("400.00")
    assert pooled.iloc[0]["paid"] == pytest.approx(0.5)
    one = cv.roll_matrix(roll, labels, date(2024, 5, 31))
    assert one.iloc[0]["paid"] == pytest.approx(0.5) and one.iloc[0]["1-30"] == pytest.approx(0.5)


def test_the_cohorts_measure_the_share_unpaid_after_each_number_of_days(tmp_path):
    """Billed in March 2024: M1 100.00 paid after 20 days, M2 300.00 paid after 45 days, M3
    600.00 still open. Unpaid after 30 days: (300 + 600) / 1,000 = 0.9; after 60 and 90: 0.6.
    June 2024 is not 30 days old at D (30/06 + 30 > D): None."""
    con = make_ledger(
        tmp_path / "c.duckdb",
        invoices=[
            inv("M1", "K", date(2024, 3, 1), "100.00", date(2024, 3, 31)),
            inv("M2", "K", date(2024, 3, 1), "300.00", date(2024, 3, 31)),
            inv("M3", "K", date(2024, 3, 1), "600.00", date(2024, 3, 31)),
            inv("J1", "K", date(2024, 6, 1), "50.00", date(2024, 7, 1)),
        ],
        payments=[pay(date(2024, 3, 21), "100.00", "M1"), pay(date(2024, 4, 15), "300.00", "M2")],
    )
    rows = by_id(cv.cohorts(con, D, **KW), "month")
    march = rows[date(2024, 3, 1)]
    assert march["billed"] == Decimal("1000.00") and march["invoices"] == 3
    assert march["unpaid_30"] == pytest.approx(0.9)
    assert march["unpaid_60"] == pytest.approx(0.6)
    assert march["unpaid_90"] == pytest.approx(0.6)
    assert rows[date(2024, 6, 1)]["unpaid_30"] is None


def test_the_forecast_by_customer_adds_up_to_the_weekly_forecast(book):
    wide = cv.forecast_by_customer(book, D, **KW)
    weekly = forecast.weekly_forecast(book, D, dataset_id=1)
    in_weeks = weekly[weekly["week"].notna()]
    assert sum(wide["total"], Decimal("0")) == sum(in_weeks["amount"], Decimal("0"))


def test_the_forecast_view_keeps_the_disputed_amount_apart(book):
    view = cv.forecast_view(book, D, **KW)
    assert view["totals"]["EUR"]["disputed"] == Decimal("300.00")
    total = view["totals"]["EUR"]["forecast"] + view["totals"]["EUR"]["later"]
    assert total == Decimal("1200.00") - Decimal("50.00")


def test_the_risk_explanation_sums_to_the_score(book):
    scores = cv.risk_table(book, D, **KW)
    explained = cv.risk_explanation(scores, "A")
    score = scores.loc[scores["customer_id"] == "A", "score"].iloc[0]
    assert explained["points"].sum() == pytest.approx(score)
    assert cv.risk_explanation(scores, "ZZZ") is None


def test_the_history_view_has_24_month_ends(book):
    view = cv.history_view(book, D, settings=Settings(), **KW)
    assert len(view["history"]) == 24
    assert view["history"]["month_end"].iloc[-1] == D


def test_the_figures_are_plotly_figures_with_their_data(book):
    view = cv.forecast_view(book, D, **KW)
    bars = cv.forecast_bars(view["weeks"], Decimal("300.00"), "fr", "EUR")
    assert isinstance(bars, go.Figure) and len(bars.data) == 2
    assert list(bars.data[1].y) == [300.0]
    assert cv.limit_gauge(1.2, "fr").data[0].value == pytest.approx(120.0)
    explained = cv.risk_explanation(cv.risk_table(book, D, **KW), "A")
    assert len(cv.risk_components(explained, "en").data[1].x) == len(explained)


def test_every_label_exists_in_both_languages():
    for key, (fr, en) in cv.TEXTS.items():
        assert fr and en, key
    assert cv.t("nav_collections", "fr") == "Recouvrement"
    assert cv.t("nav_collections", "en") == "Collections"
    assert cv.t("col_total", "en") == "Total"


def test_the_customer_payment_profile_counts_open_disputes_and_gives_the_doubtful_status(book):
    """B: B1 300.00 disputed, 10 days past due (not doubtful); the credit note is no dispute.
    A: no dispute; A1 is 60 days past due, under the 180 days of the age-based proxy, but
    over 50 days when the settings say so."""
    b = cv.customer_days_late(book, D, customer_id="B", **KW)["status"]
    assert (b["disputed_items"], b["disputed_amount"]) == (1, Decimal("300.00"))
    assert b["doubtful_status"] == "none"
    a = cv.customer_days_late(book, D, customer_id="A", **KW)["status"]
    assert (a["disputed_items"], a["doubtful_status"]) == (0, "none")
    short = Settings(doubtful_after_days=50)
    a = cv.customer_days_late(book, D, customer_id="A", settings=short, **KW)["status"]
    assert (a["doubtful_status"], a["doubtful_age_based"]) == ("age_based", Decimal("700.00"))


@pytest.fixture
def rates_from_july(tmp_path, monkeypatch):
    """A user rate table starting on 2024-07-01: the late days of June 2024 have no rate."""
    path = tmp_path / "rates.csv"
    path.write_text("effective_date,rate_percent,source\n2024-07-01,4.25,test table\n")
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(path))
    return path


def test_penalties_the_rate_table_cannot_compute_are_flagged_for_a_warning(book, rates_from_july):
    """A1 (due 01/05) and B1 (due 20/06) are late in May-June 2024, before the table's first
    row: their penalties are None, the collections view and A's legal tab say so."""
    view = cv.collections_view(book, D, **KW)
    assert view["rates_missing"] is True
    assert view["totals"]["EUR"]["penalties"] is None
    legal = cv.customer_legal(book, D, customer_id="A", **KW)
    assert legal["rates_missing"] is True
    assert legal["totals"]["penalties_open"] is None


def test_no_warning_is_flagged_when_the_rate_table_covers_every_delay(book, tmp_path, monkeypatch):
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(tmp_path / "none.csv"))
    assert cv.collections_view(book, D, **KW)["rates_missing"] is False
    legal = cv.customer_legal(book, D, customer_id="A", **KW)
    assert legal["rates_missing"] is False
    assert legal["totals"]["penalties_open"] is not None
    assert cv.customer_legal(book, D, customer_id="C", **KW)["rates_missing"] is False
