"""Cash-in forecast (kpi-spec section 9): analytics.forecast on real DuckDB files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics import forecast
from analytics.config import Filters
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)


@pytest.fixture
def book(tmp_path):
    """Customers with and without payment history (settled in (D-365, D]).

    A paid A0 (due 03-01) 10 days late and A9 (due 04-01) 20 days late: median 15 days.
      A1 900.00 due 07-10 -> expected 07-25: day 25 after D, week 4 ((21, 28]).
    B has no history; its segment PME (shared with A) has days late 10 and 20: median 15.
      B1 400.00 due 07-01 -> 07-16: day 16, week 3.
    C (segment Public, no history anywhere): lag 0.
      C1 300.00 due 06-01, overdue -> max(06-01, D + 1) = 07-01: week 1.
      C2 200.00 due 12-31 -> day 184: later.
      C3 50.00 due 07-05, disputed: apart.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A0", "A", date(2024, 2, 1), "100.00", date(2024, 3, 1)),
            inv("A9", "A", date(2024, 3, 1), "100.00", date(2024, 4, 1)),
            inv("A1", "A", date(2024, 6, 10), "900.00", date(2024, 7, 10)),
            inv("B1", "B", date(2024, 6, 1), "400.00", date(2024, 7, 1)),
            inv("C1", "C", date(2024, 5, 1), "300.00", date(2024, 6, 1)),
            inv("C2", "C", date(2024, 6, 1), "200.00", date(2024, 12, 31)),
            inv("C3", "C", date(2024, 6, 5), "50.00", date(2024, 7, 5), disputed=True),
        ],
        payments=[
            pay(date(2024, 3, 11), "100.00", "A0"),
            pay(date(2024, 4, 21), "100.00", "A9"),
        ],
        customers=[
            {"customer_id": "A", "segment": "PME"},
            {"customer_id": "B", "segment": "PME"},
            {"customer_id": "C", "segment": "Public"},
        ],
    )


def items(con):
    frame = forecast.forecast_items(con, D, dataset_id=1)
    return {r["invoice_id"]: r for r in frame.to_dict("records")}


def test_the_expected_date_adds_the_customers_median_days_late(book):
    a1 = items(book)["A1"]
    assert (a1["lag_basis"], a1["lag_days"]) == ("customer", 15)
    assert (a1["expected_date"], a1["week"]) == (date(2024, 7, 25), 4)


def test_a_customer_without_history_takes_its_segments_median(book):
    b1 = items(book)["B1"]
    assert (b1["lag_basis"], b1["lag_days"], b1["expected_date"]) == (
        "segment",
        15,
        date(2024, 7, 16),
    )
    assert b1["week"] == 3


def test_nothing_known_means_no_delay_and_never_before_the_as_of_date(book):
    r = items(book)
    assert (r["C1"]["lag_basis"], r["C1"]["lag_days"]) == ("none", 0)
    assert r["C1"]["expected_date"] == date(2024, 7, 1)
    assert r["C1"]["week"] == 1
    assert r["C2"]["week"] is None or r["C2"]["week"] != r["C2"]["week"]


def test_weekly_totals_cover_13_weeks_plus_later_and_leave_disputes_apart(book):
    """W01 300.00 (C1), W03 400.00 (B1), W04 900.00 (A1), later 200.00 (C2); C3 disputed.
    1,800.00 + 50.00 disputed = the 1,850.00 open."""
    weeks = forecast.weekly_forecast(book, D, dataset_id=1)
    assert list(weeks["label"]) == [f"W{k:02d}" for k in range(1, 14)] + ["later"]
    amounts = dict(zip(weeks["label"], weeks["amount"], strict=True))
    assert amounts["W01"] == Decimal("300.00")
    assert amounts["W03"] == Decimal("400.00")
    assert amounts["W04"] == Decimal("900.00")
    assert amounts["later"] == Decimal("200.00")
    assert sum(weeks["amount"], Decimal(0)) == Decimal("1800.00")
    assert weeks.iloc[0]["start"] == date(2024, 7, 1)
    assert weeks.iloc[0]["end"] == date(2024, 7, 7)
    disputed = forecast.disputed_items(book, D, dataset_id=1)
    assert list(disputed["invoice_id"]) == ["C3"]


def test_weekly_totals_per_customer_sum_to_the_overall_totals(book):
    per = forecast.weekly_forecast(book, D, dataset_id=1, by_customer=True)
    assert set(per["customer_id"]) == {"A", "B", "C"}
    assert sum(per["amount"], Decimal(0)) == Decimal("1800.00")
    a = per[per["customer_id"] == "A"]
    assert len(a) == 14


def test_an_empty_book_forecasts_nothing(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    assert forecast.weekly_forecast(con, D, dataset_id=1).empty
    result = forecast.backtest(con, D, dataset_id=1)
    assert result["wape"] == {}


def test_the_backtest_compares_the_forecast_made_13_weeks_earlier_with_the_cash(tmp_path):
    """D0 = 2024-06-30 - 91 days = 2024-03-31. Nothing settled before D0: lag 0.

    X1 1,000.00 due 04-05: forecast week 1 ((03-31, 04-07]); paid 04-20: actual week 3.
    X2 500.00 due 04-10: forecast week 2; paid 04-10: actual week 2.
    Forecast W1 1,000, W2 500; actual W2 500, W3 1,000.
    wape = (|1,000 - 0| + |500 - 500| + |0 - 1,000|) / 1,500 = 2,000 / 1,500 = 1.333;
    bias = (1,500 - 1,500) / 1,500 = 0.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("X1", "X", date(2024, 3, 5), "1000.00", date(2024, 4, 5)),
            inv("X2", "X", date(2024, 3, 10), "500.00", date(2024, 4, 10)),
        ],
        payments=[
            pay(date(2024, 4, 20), "1000.00", "X1"),
            pay(date(2024, 4, 10), "500.00", "X2"),
        ],
    )
    result = forecast.backtest(con, D, dataset_id=1)
    assert result["start"] == date(2024, 3, 31)
    weeks = result["weeks"].set_index("week")
    assert weeks.loc[1, "forecast"] == Decimal("1000.00")
    assert weeks.loc[3, "actual"] == Decimal("1000.00")
    assert result["wape"]["EUR"] == pytest.approx(2000 / 1500)
    assert result["bias"]["EUR"] == pytest.approx(0.0)


def test_a_perfect_forecast_has_zero_error(tmp_path):
    """Y1 paid on its due date, in the week the forecast expected it: wape 0."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("Y1", "Y", date(2024, 3, 10), "700.00", date(2024, 4, 10))],
        payments=[pay(date(2024, 4, 10), "700.00", "Y1")],
    )
    assert forecast.backtest(con, D, dataset_id=1)["wape"]["EUR"] == pytest.approx(0.0)


def test_each_customers_weeks_hold_its_own_items(book):
    """A: W04 900.00 (A1); B: W03 400.00 (B1); C: W01 300.00 (C1), later 200.00 (C2), the
    disputed C3 nowhere; every other week 0.00."""
    per = forecast.weekly_forecast(book, D, dataset_id=1, by_customer=True)
    found = {
        (c, label): amount
        for c, label, amount in zip(per["customer_id"], per["label"], per["amount"], strict=True)
        if amount != 0
    }
    assert found == {
        ("A", "W04"): Decimal("900.00"),
        ("B", "W03"): Decimal("400.00"),
        ("C", "W01"): Decimal("300.00"),
        ("C", "later"): Decimal("200.00"),
    }


def test_the_backtest_dates_customer_level_cash_and_ignores_disputes_and_write_offs(tmp_path):
    """D0 = 2024-03-31, weeks (D0 + 7(k-1), D0 + 7k]; nothing settled before D0: lag 0.

    Z1 1,000.00 due 04-05: forecast week 1; paid by payments naming only customer Z, 600.00
       on 04-20 (week 3) and 400.00 on 05-10 (week 6), Z1 being Z's oldest open item.
    Z2 500.00 due 04-10, disputed: neither forecast nor actual, though paid 04-10.
    Z3 300.00 due 04-12: forecast week 2; written off 04-20: no cash.
    Forecast 1,000 (W1) + 300 (W2) = 1,300; actual 600 (W3) + 400 (W6) = 1,000.
    wape = (1,000 + 300 + 600 + 400) / 1,000 = 2.3; bias = (1,300 - 1,000) / 1,000 = 0.3.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("Z1", "Z", date(2024, 3, 5), "1000.00", date(2024, 4, 5)),
            inv("Z2", "Z", date(2024, 3, 10), "500.00", date(2024, 4, 10), disputed=True),
            inv("Z3", "Z", date(2024, 3, 12), "300.00", date(2024, 4, 12)),
        ],
        payments=[
            pay(date(2024, 4, 10), "500.00", "Z2"),
            pay(date(2024, 4, 20), "600.00", customer_id="Z"),
            pay(date(2024, 5, 10), "400.00", customer_id="Z"),
        ],
        write_offs=[{"invoice_id": "Z3", "write_off_date": date(2024, 4, 20), "amount": "300.00"}],
    )
    result = forecast.backtest(con, D, dataset_id=1)
    weeks = result["weeks"]
    forecast_by_week = {k: f for k, f in zip(weeks["week"], weeks["forecast"], strict=True) if f}
    actual_by_week = {k: a for k, a in zip(weeks["week"], weeks["actual"], strict=True) if a}
    assert forecast_by_week == {1: Decimal("1000.00"), 2: Decimal("300.00")}
    assert actual_by_week == {3: Decimal("600.00"), 6: Decimal("400.00")}
    assert (result["forecast_total"]["EUR"], result["actual_total"]["EUR"]) == (
        Decimal("1300.00"),
        Decimal("1000.00"),
    )
    assert result["wape"]["EUR"] == pytest.approx(2.3)
    assert result["bias"]["EUR"] == pytest.approx(0.3)


SAMPLE_END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pathlib import Path

    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace

    root = Path(__file__).resolve().parent.parent / "data" / "sample"
    ws = Workspace(tmp_path_factory.mktemp("sample") / "w.duckdb")
    report = load_files(ws, [InputFile(p) for p in sorted(root.glob("*.csv"))])
    yield ws.cursor(), report.dataset_id
    ws.close()


@pytest.mark.slow
def test_the_samples_forecast_matches_the_committed_golden_figures(sample):
    """Golden figures from weekly_forecast / disputed_items / backtest on data/sample at
    2026-10-31 (EUR), computed once the unit cases passed. Invariant checked by hand:
    forecast 18,172,439.60 + disputed 3,059,786.47 = 21,232,226.07 = AR 21,232,218.66 minus
    the unapplied cash (-7.41, the two overpayments on account), which is not forecast.
    The back-test error is large (wape 0.49): every overdue item is expected in week 1."""
    con, dataset_id = sample
    eur = Filters(currency=("EUR",))
    weeks = forecast.weekly_forecast(con, SAMPLE_END, dataset_id=dataset_id, filters=eur)
    assert sum(weeks["amount"], Decimal(0)) == Decimal("18172439.60")
    assert weeks["amount"].iloc[0] == Decimal("5466859.20")
    assert weeks["amount"].iloc[-1] == Decimal("168438.68")
    disputed = forecast.disputed_items(con, SAMPLE_END, dataset_id=dataset_id, filters=eur)
    assert sum(disputed["open_amount"], Decimal(0)) == Decimal("3059786.47")
    result = forecast.backtest(con, SAMPLE_END, dataset_id=dataset_id, filters=eur)
    assert result["forecast_total"]["EUR"] == Decimal("18676139.47")
    assert result["actual_total"]["EUR"] == Decimal("14939074.90")
    assert result["wape"]["EUR"] == pytest.approx(0.48808, abs=1e-5)
