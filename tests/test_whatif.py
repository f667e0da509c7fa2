"""What-if calculators: analytics.whatif on real DuckDB files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics import whatif
from analytics.asof import MixedCurrencyError
from tests.ledger_factory import inv, make_ledger

D = date(2024, 6, 30)


@pytest.fixture
def book(tmp_path):
    """Sales in (D-90, D]: 9,000.00 in three invoices, all on 60 days net.

    S1 3,000.00 dated 04-10 due 06-09 (overdue 21 days), customer A.
    S2 3,000.00 dated 05-10 due 07-09, customer B.
    S3 3,000.00 dated 06-10 due 08-09, customer C.
    AR 9,000; overdue 3,000; DSO = 9,000 / 9,000 x 90 = 90 days.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("S1", "A", date(2024, 4, 10), "3000.00", date(2024, 6, 9)),
            inv("S2", "B", date(2024, 5, 10), "3000.00", date(2024, 7, 9)),
            inv("S3", "C", date(2024, 6, 10), "3000.00", date(2024, 8, 9)),
        ],
    )


def test_cash_released_by_a_dso_reduction(book):
    """10 days x 9,000 / 90 = 1,000.00."""
    assert whatif.cash_from_dso_reduction(10, book, D, dataset_id=1) == Decimal("1000.00")


def test_moving_terms_to_45_days_end_of_month(book):
    """45 days end of month: 04-10 -> 05-31 (60 -> 51 days, -9), 05-10 -> 06-30 (-9),
    06-10 -> 07-31 (-9). delta DSO = -9 days; delta AR = 9,000 x -9 / 90 = -900.00.
    DSO 90 -> 81. Open invoices whose due date moves earlier: 3 (9,000.00)."""
    effect = whatif.terms_change(book, D, "45eom", dataset_id=1)
    assert effect.delta_days == pytest.approx(-9.0)
    assert effect.delta_ar == Decimal("-900.00")
    assert effect.dso_before == pytest.approx(90.0)
    assert effect.dso_after == pytest.approx(81.0)
    assert (effect.open_invoices_affected, effect.open_amount_affected) == (3, Decimal("9000.00"))


def test_moving_terms_to_a_number_of_days_net(book):
    """30 days net: every invoice 30 days earlier: -30 days, AR -3,000.00."""
    effect = whatif.terms_change(book, D, 30, dataset_id=1)
    assert effect.delta_days == pytest.approx(-30.0)
    assert effect.delta_ar == Decimal("-3000.00")


def test_collecting_the_top_overdue_customers(book):
    """Only A is overdue (3,000.00): AR 9,000 -> 6,000, overdue share 1/3 -> 0, DSO 90 -> 60."""
    effect = whatif.collect_top_overdue(book, D, dataset_id=1, n=10)
    assert effect.customers == ["A"]
    assert effect.collected == Decimal("3000.00")
    assert effect.ar_after == Decimal("6000.00")
    assert effect.overdue_share_before == pytest.approx(1 / 3)
    assert effect.overdue_share_after == pytest.approx(0.0)
    assert effect.dso_after == pytest.approx(60.0)


def test_what_ifs_refuse_to_mix_currencies(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("E1", "A", date(2024, 4, 10), "100.00", date(2024, 5, 10)),
            inv("U1", "B", date(2024, 4, 10), "100.00", date(2024, 5, 10), currency="USD"),
        ],
    )
    with pytest.raises(MixedCurrencyError):
        whatif.collect_top_overdue(con, D, dataset_id=1)
    with pytest.raises(MixedCurrencyError):
        whatif.terms_change(con, D, dataset_id=1)


def test_only_the_top_n_overdue_customers_are_collected_ties_by_customer_id(tmp_path):
    """Overdue at D (due 06-01): A 500.00, B 300.00, C 300.00, E 100.00; F 1,000.00 not due.
    All dated in (D-90, D]: sales 2,200.00, AR 2,200.00, overdue 1,200.00, DSO 90 days.
    Top 2: A, then B (ties with C, B first by id): collected 800.00; AR 1,400.00, overdue
    400.00, share 1,200 / 2,200 = 0.5455 -> 400 / 1,400 = 0.2857; DSO 1,400 / 2,200 x 90
    = 57.27 days."""
    overdue = {"A": "500.00", "B": "300.00", "C": "300.00", "E": "100.00"}
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            *(inv(f"{c}1", c, date(2024, 5, 1), a, date(2024, 6, 1)) for c, a in overdue.items()),
            inv("F1", "F", date(2024, 6, 15), "1000.00", date(2024, 7, 15)),
        ],
    )
    effect = whatif.collect_top_overdue(con, D, dataset_id=1, n=2)
    assert effect.customers == ["A", "B"]
    assert effect.collected == Decimal("800.00")
    assert (effect.ar_before, effect.ar_after) == (Decimal("2200.00"), Decimal("1400.00"))
    assert effect.overdue_after == Decimal("400.00")
    assert effect.overdue_share_before == pytest.approx(1200 / 2200)
    assert effect.overdue_share_after == pytest.approx(400 / 1400)
    assert effect.dso_before == pytest.approx(90.0)
    assert effect.dso_after == pytest.approx(1400 / 2200 * 90)


def test_terms_already_shorter_than_the_target_move_later(tmp_path):
    """T1 1,000.00 dated 06-01 on 30 days net (due 07-01); 45 days end of month: 07-31,
    30 days later. delta DSO = +30 days, delta AR = 1,000 x 30 / 90 = +333.33; no open
    invoice moves earlier."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("T1", "A", date(2024, 6, 1), "1000.00", date(2024, 7, 1))],
    )
    effect = whatif.terms_change(con, D, "45eom", dataset_id=1)
    assert effect.delta_days == pytest.approx(30.0)
    assert effect.delta_ar == Decimal("333.33")
    assert (effect.open_invoices_affected, effect.open_amount_affected) == (0, Decimal("0.00"))


def test_an_empty_book_has_nothing_to_release_or_move(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    effect = whatif.terms_change(con, D, "45eom", dataset_id=1)
    assert (effect.invoices, effect.delta_days, effect.delta_ar) == (0, None, None)
    collect = whatif.collect_top_overdue(con, D, dataset_id=1)
    assert collect.customers == [] and collect.collected == Decimal("0.00")
    assert collect.overdue_share_before is None and collect.dso_before is None
