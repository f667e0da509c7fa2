"""DSO family: sales, period / average / countback DSO, BPDSO, ADD, CEI (kpi-spec section 3)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import dso
from analytics.asof import MixedCurrencyError
from analytics.config import Filters
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)


@pytest.mark.parametrize(
    ("d", "k", "expected"),
    [
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2024, 3, 30), 1, date(2024, 2, 29)),
        (date(2024, 3, 29), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 1, date(2024, 1, 31)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2023, 2, 28), 1, date(2023, 1, 31)),
        (date(2024, 4, 30), 1, date(2024, 3, 31)),
        (date(2024, 5, 15), 3, date(2024, 2, 15)),
        (date(2024, 1, 31), 1, date(2023, 12, 31)),
        (date(2024, 5, 15), 0, date(2024, 5, 15)),
    ],
)
def test_months_before_follows_the_spec_rule_for_month_ends_and_clamping(d, k, expected):
    assert dso.months_before(d, k) == expected


@pytest.fixture
def quarter(tmp_path):
    """D = 2024-06-30, P = 90: window (2024-04-01, 2024-06-30].

    Z  300 dated 2024-03-01 (before the window), due 03-31, paid 04-10
    X  900 dated 2024-04-15, due 05-15, 300 paid 06-01 -> open 600, overdue
    Y  600 dated 2024-06-10, due 07-10 -> not due
    N -300 dated 2024-05-01, due 05-01 -> credit note, overdue
    sales = 900 + 600 - 300 = 1200; AR_D = 600 + 600 - 300 = 900; not_due 600
    dso_period = 900 / 1200 * 90 = 67.5; bpdso = 600 / 1200 * 90 = 45; add = 22.5
    AR_{D-P} (2024-04-01) = 300 (Z still open) -> dso_average = (300 + 900)/2 / 1200 * 90 = 45
    cash released by 10 days = 10 * 1200 / 90 = 133.33
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("Z", "C1", date(2024, 3, 1), "300", date(2024, 3, 31)),
            inv("X", "C1", date(2024, 4, 15), "900", date(2024, 5, 15)),
            inv("Y", "C2", date(2024, 6, 10), "600", date(2024, 7, 10)),
            inv("N", "C2", date(2024, 5, 1), "-300", date(2024, 5, 1)),
        ],
        payments=[pay(date(2024, 4, 10), "300", "Z"), pay(date(2024, 6, 1), "300", "X")],
    )


def test_sales_take_invoices_dated_after_the_start_up_to_the_end_with_credit_notes_net(quarter):
    """(2024-04-15, 2024-06-10]: the 04-15 invoice is out, the 06-10 one in: 600 - 300 = 300."""
    assert dso.sales(quarter, date(2024, 4, 15), date(2024, 6, 10), dataset_id=1) == 300
    assert dso.sales(quarter, date(2024, 4, 1), D, dataset_id=1) == Decimal("1200.00")


def test_period_dso_best_possible_dso_and_delinquent_days_match_the_hand_computation(quarter):
    assert dso.dso_period(quarter, D, dataset_id=1) == pytest.approx(67.5)
    assert dso.bpdso(quarter, D, dataset_id=1) == pytest.approx(45.0)
    assert dso.add(quarter, D, dataset_id=1) == pytest.approx(22.5)


def test_average_balance_dso_matches_the_hand_computation(quarter):
    assert dso.dso_average(quarter, D, dataset_id=1) == pytest.approx(45.0)


def test_cash_released_by_ten_days_matches_the_hand_computation(quarter):
    assert dso.cash_released(10, quarter, D, dataset_id=1) == Decimal("133.33")


def test_a_different_period_changes_the_window(quarter):
    """P = 30: sales (05-31, 06-30] = 600 -> dso = 900 / 600 * 30 = 45."""
    assert dso.dso_period(quarter, D, dataset_id=1, period_days=30) == pytest.approx(45.0)


def test_filters_apply_to_sales_and_balances_alike(quarter):
    """C2 only: AR = 600 - 300 = 300; sales 300 -> dso = 90."""
    got = dso.dso_period(quarter, D, dataset_id=1, filters=Filters(customer_id=("C2",)))
    assert got == pytest.approx(90.0)


@pytest.fixture
def countback_book(tmp_path):
    """Public check: AR 2,500; sales 1,200 (June, 30 days), 800 (May, 31), 700 (April, 30).

    Unpaid invoices of 1,200, 800 and 700 less 200 paid on April's -> AR 2,500.
    Countback = 30 + 31 + 500 / 700 x 30 = 82.43 days.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("J", "C1", date(2024, 6, 5), "1200", date(2024, 7, 5)),
            inv("M", "C1", date(2024, 5, 5), "800", date(2024, 6, 4)),
            inv("A", "C1", date(2024, 4, 5), "700", date(2024, 5, 5)),
        ],
        payments=[pay(date(2024, 5, 20), "200", "A")],
    )


def test_countback_dso_matches_the_public_check(countback_book):
    result = dso.dso_countback(countback_book, D, dataset_id=1)
    assert round(result.value, 2) == 82.43
    assert not result.capped
    steps = [(w.start, w.end, w.days, w.sales, w.remaining) for w in result.waterfall]
    assert steps == [
        (date(2024, 5, 31), date(2024, 6, 30), 30, 1200, 1300),
        (date(2024, 4, 30), date(2024, 5, 31), 31, 800, 500),
        (date(2024, 3, 31), date(2024, 4, 30), 30, 700, 0),
    ]
    assert sum(w.days_counted for w in result.waterfall) == pytest.approx(result.value)


def test_countback_arithmetic_alone_gives_the_public_check():
    windows = dso.countback_windows(D, 3)
    result = dso.countback(Decimal(2500), windows, [Decimal(1200), Decimal(800), Decimal(700)])
    assert round(result.value, 2) == 82.43


def test_countback_is_capped_after_36_windows(tmp_path):
    """Sales 1,000 in June; a 5,000 invoice of 2019 still open: r never reaches 0.

    The value is every day of the 36 windows: 2021-06-30 -> 2024-06-30 = 1,096 days.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("NEW", "C1", date(2024, 6, 15), "1000"),
            inv("OLD", "C1", date(2019, 1, 15), "5000"),
        ],
    )
    result = dso.dso_countback(con, D, dataset_id=1)
    assert result.capped and result.value == 1096.0
    assert len(result.waterfall) == 36


def test_countback_is_zero_when_nothing_is_outstanding(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 6, 1), "100")],
        payments=[pay(date(2024, 6, 2), "100", "A")],
    )
    result = dso.dso_countback(con, D, dataset_id=1)
    assert result.value == 0.0 and not result.capped and result.waterfall == []


def test_every_dso_is_none_on_an_empty_ledger(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    assert dso.dso_period(con, D, dataset_id=1) is None
    assert dso.dso_average(con, D, dataset_id=1) is None
    assert dso.bpdso(con, D, dataset_id=1) is None
    assert dso.add(con, D, dataset_id=1) is None
    assert dso.dso_countback(con, D, dataset_id=1).value is None
    assert dso.cei(con, D, dataset_id=1) is None
    assert dso.sales(con, date(2024, 1, 1), D, dataset_id=1) == Decimal("0.00")


def test_a_dso_whose_sales_are_negative_is_none(tmp_path):
    """Only a credit note in the window: sales -50 -> DSO undefined, not negative."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("OLD", "C1", date(2023, 1, 1), "500"),
            inv("CN", "C1", date(2024, 6, 1), "-50"),
        ],
    )
    assert dso.dso_period(con, D, dataset_id=1) is None
    assert dso.bpdso(con, D, dataset_id=1) is None


@pytest.fixture
def cei_book(tmp_path):
    """Public check: AR_B 6,200; S 10,890 over 3 months; AR_D 6,340; not_due_D 3,590.

    B = 2024-03-31. O 6,200 dated 03-01 due 03-31 (open at B, paid 04-15).
    S = N1 3,590 (dated 06-20, due 07-20) + N2 7,300 (dated 04-10, due 05-10) = 10,890;
    N2 paid 4,550 on 06-15 -> AR_D = 3,590 + 2,750 = 6,340, not_due 3,590.
    CEI = (6,200 + 3,630 - 6,340) / (6,200 + 3,630 - 3,590) x 100 = 3,490 / 6,240 = 55.93.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("O", "C1", date(2024, 3, 1), "6200", date(2024, 3, 31)),
            inv("N1", "C1", date(2024, 6, 20), "3590", date(2024, 7, 20)),
            inv("N2", "C2", date(2024, 4, 10), "7300", date(2024, 5, 10)),
        ],
        payments=[pay(date(2024, 4, 15), "6200", "O"), pay(date(2024, 6, 15), "4550", "N2")],
    )


def test_cei_matches_the_public_check(cei_book):
    assert round(dso.cei(cei_book, D, dataset_id=1), 2) == 55.93


def test_cei_arithmetic_alone_gives_the_public_check():
    got = dso.cei_value(Decimal(6200), Decimal(10890), 3, Decimal(6340), Decimal(3590))
    assert round(got, 2) == 55.93


def test_monthly_cei_covers_the_last_complete_calendar_month(cei_book):
    """June 2024: AR_B (05-31) = N2 7,300; S = 3,590; AR_D 6,340; not_due 3,590.

    CEI = (7,300 + 3,590 - 6,340) / (7,300 + 3,590 - 3,590) x 100 = 4,550 / 7,300 = 62.33.
    """
    assert round(dso.cei_monthly(cei_book, D, dataset_id=1), 2) == 62.33
    later = dso.cei_monthly(cei_book, date(2024, 7, 10), dataset_id=1)
    assert round(later, 2) == 62.33


def test_cei_is_none_when_its_denominator_is_not_positive():
    assert dso.cei_value(Decimal(0), Decimal(0), 3, Decimal(0), Decimal(0)) is None


def test_several_currencies_make_a_dso_raise_instead_of_summing(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 6, 1), "10", currency="EUR"),
            inv("B", "C1", date(2024, 6, 1), "10", currency="GBP"),
        ],
    )
    with pytest.raises(MixedCurrencyError):
        dso.dso_period(con, D, dataset_id=1)
    got = dso.dso_period(con, D, dataset_id=1, filters=Filters(currency=("GBP",)))
    assert got == pytest.approx(90.0)


# --- properties -------------------------------------------------------------------------------

ledgers = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 60), st.integers(1, 5000_00), st.booleans()),
    min_size=1,
    max_size=6,
)


def build(path, rows, scale=1):
    invoices, payments = [], []
    for n, (age, terms, cents, half_paid) in enumerate(rows):
        day = D - timedelta(days=age)
        invoices.append(
            inv(f"I{n}", "C1", day, Decimal(cents) * scale / 100, day + timedelta(days=terms))
        )
        if half_paid:
            payments.append(pay(day, Decimal(cents // 2) * scale / 100, f"I{n}"))
    return make_ledger(path, invoices=invoices, payments=payments)


FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def approx_or_none(a, b):
    return (a is None and b is None) or (a is not None and b == pytest.approx(a))


@FAST
@given(ledgers, st.integers(2, 9))
def test_scaling_every_amount_leaves_every_dso_and_the_cei_unchanged(tmp_path_factory, rows, k):
    folder = tmp_path_factory.mktemp("dso")
    base = build(folder / f"{uuid.uuid4().hex}.duckdb", rows)
    scaled = build(folder / f"{uuid.uuid4().hex}.duckdb", rows, scale=k)
    for fn in (dso.dso_period, dso.dso_average, dso.bpdso, dso.add, dso.cei):
        assert approx_or_none(fn(base, D, dataset_id=1), fn(scaled, D, dataset_id=1))
    a = dso.dso_countback(base, D, dataset_id=1)
    b = dso.dso_countback(scaled, D, dataset_id=1)
    assert approx_or_none(a.value, b.value) and a.capped == b.capped
    assert dso.sales(scaled, D - timedelta(days=90), D, dataset_id=1) == k * dso.sales(
        base, D - timedelta(days=90), D, dataset_id=1
    )


@FAST
@given(ledgers)
def test_an_as_of_date_before_the_first_invoice_gives_no_dso(tmp_path_factory, rows):
    con = build(tmp_path_factory.mktemp("dso") / "w.duckdb", rows)
    before = D - timedelta(days=201)
    assert dso.dso_period(con, before, dataset_id=1) is None
    assert dso.dso_countback(con, before, dataset_id=1).value is None
