"""Aged balance and outstanding totals (kpi-spec sections 1 and 2)."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import aging
from analytics.asof import MixedCurrencyError
from analytics.config import Filters, bucket_labels
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)
LABELS = bucket_labels()


def days_ago(n: int) -> date:
    return D - timedelta(days=n)


@pytest.fixture
def book(tmp_path):
    """Five items at D = 2024-06-30 (dpd = D - due date).

    A  100 due D        dpd 0   -> not_due 100
    B  200 due 06-15    dpd 15  -> 1-30    200
    C  300 due 05-01    dpd 60  -> 31-60   300 - 50 paid = 250
    E  500 due 03-31    dpd 91  -> 91-120  500
    N  -40 due 02-01    dpd 150 -> >120    -40 (credit note)
    AR = 100 + 200 + 250 + 500 - 40 = 1010; not_due 100; overdue 910;
    overdue_share = 910 / 1010 = 0.900990...
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", days_ago(30), "100", D, segment="SME"),
            inv("B", "C1", days_ago(45), "200", date(2024, 6, 15), segment="SME"),
            inv("C", "C2", days_ago(90), "300", date(2024, 5, 1)),
            inv("E", "C2", days_ago(120), "500", date(2024, 3, 31)),
            inv("N", "C2", days_ago(150), "-40", date(2024, 2, 1)),
        ],
        payments=[pay(date(2024, 6, 1), "50", "C")],
        customers=[{"customer_id": "C2", "segment": "Large"}],
    )


def test_the_aged_balance_of_a_small_book_matches_the_hand_computation(book):
    frame = aging.aging(book, D, dataset_id=1)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["currency"] == "EUR"
    got = [row[label] for label in LABELS]
    assert got == [Decimal(x) for x in ("100", "200", "250", "0", "500", "-40")]
    assert row["total"] == Decimal("1010.00")
    assert row["count"] == 5 and row["count_31-60"] == 1 and row["count_61-90"] == 0


def test_outstanding_not_due_overdue_and_share_match_the_hand_computation(book):
    assert aging.ar(book, D, dataset_id=1) == Decimal("1010.00")
    assert aging.not_due(book, D, dataset_id=1) == Decimal("100.00")
    assert aging.overdue(book, D, dataset_id=1) == Decimal("910.00")
    assert aging.overdue_share(book, D, dataset_id=1) == pytest.approx(910 / 1010)


def test_money_comes_back_as_decimal(book):
    frame = aging.aging(book, D, dataset_id=1)
    assert all(isinstance(frame.iloc[0][label], Decimal) for label in [*LABELS, "total"])
    assert isinstance(aging.ar(book, D, dataset_id=1), Decimal)


def test_aging_by_customer_and_segment_keeps_the_invariant(book):
    """By customer: C1 = 100 + 200 = 300, C2 = 250 + 500 - 40 = 710.

    By segment: SME (invoice's own) 300, Large (the customer's) 710.
    """
    by_customer = aging.aging(book, D, dataset_id=1, by="customer")
    assert dict(zip(by_customer["customer_id"], by_customer["total"], strict=True)) == {
        "C1": Decimal("300.00"),
        "C2": Decimal("710.00"),
    }
    by_segment = aging.aging(book, D, dataset_id=1, by="segment")
    assert dict(zip(by_segment["segment"], by_segment["total"], strict=True)) == {
        "Large": Decimal("710.00"),
        "SME": Decimal("300.00"),
    }
    for frame in (by_customer, by_segment):
        for _, row in frame.iterrows():
            assert sum(row[label] for label in LABELS) == row["total"]


def test_filters_restrict_every_figure(book):
    assert aging.ar(book, D, dataset_id=1, filters=Filters(segment=("SME",))) == 300
    assert aging.overdue(book, D, dataset_id=1, filters=Filters(customer_id=("C2",))) == 710


@pytest.mark.parametrize(
    ("dpd", "label"),
    [
        (-5, "not_due"),
        (0, "not_due"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, ">120"),
    ],
)
def test_bucket_edges_are_inclusive_upper_bounds(tmp_path, dpd, label):
    con = make_ledger(
        tmp_path / "w.duckdb", invoices=[inv("A", "C1", days_ago(200), "10", days_ago(dpd))]
    )
    row = aging.aging(con, D, dataset_id=1).iloc[0]
    assert row[label] == Decimal("10.00")
    assert sum(row[x] for x in LABELS) == Decimal("10.00")


def test_an_invoice_due_today_is_not_overdue(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb", invoices=[inv("A", "C1", days_ago(30), "10", D)])
    assert aging.overdue(con, D, dataset_id=1) == 0
    assert aging.not_due(con, D, dataset_id=1) == Decimal("10.00")


def test_custom_edges_give_their_own_buckets(book):
    """Edges (15, 45): A not_due 100; B dpd 15 -> 1-15 200; C dpd 60, E 91, N 150 -> >45."""
    frame = aging.aging(book, D, dataset_id=1, edges=(45, 15))
    row = frame.iloc[0]
    assert [row[x] for x in ("not_due", "1-15", "16-45", ">45")] == [100, 200, 0, 710]


def test_invoice_date_basis_ages_from_the_invoice_date(book):
    """Ages since invoice: A 30, B 45, C 90, E 120, N 150 -> 1-30 100, 31-60 200, 61-90 250,
    91-120 500, >120 -40, not_due 0."""
    row = aging.aging(book, D, dataset_id=1, basis="invoice").iloc[0]
    assert [row[x] for x in LABELS] == [0, 100, 200, 250, 500, -40]


def test_an_unknown_basis_or_grouping_is_rejected(book):
    with pytest.raises(ValueError, match="basis"):
        aging.aging(book, D, dataset_id=1, basis="posting")
    with pytest.raises(ValueError, match="by must be"):
        aging.aging(book, D, dataset_id=1, by="sales_rep; DROP TABLE invoices")


def test_an_empty_ledger_has_zero_outstanding_and_no_overdue_share(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    assert aging.aging(con, D, dataset_id=1).empty
    assert aging.ar(con, D, dataset_id=1) == Decimal("0.00")
    assert aging.overdue_share(con, D, dataset_id=1) is None


def test_a_book_where_everything_is_paid_has_zero_outstanding(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", days_ago(60), "10"), inv("B", "C2", days_ago(50), "20")],
        payments=[pay(days_ago(40), "10", "A"), pay(days_ago(1), "20", None, "C2")],
    )
    assert aging.ar(con, D, dataset_id=1) == 0
    assert aging.overdue_share(con, D, dataset_id=1) is None
    assert (
        aging.aging(con, D, dataset_id=1).iloc[0]["count"] == 0
    )  # settled items are not open items


def test_a_book_of_only_credit_notes_has_negative_outstanding_and_no_share(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("N1", "C1", days_ago(10), "-10"), inv("N2", "C1", days_ago(70), "-5")],
    )
    assert aging.ar(con, D, dataset_id=1) == Decimal("-15.00")
    assert aging.overdue_share(con, D, dataset_id=1) is None


def test_unapplied_cash_counts_as_not_due_so_buckets_still_sum_to_outstanding(tmp_path):
    """Invoice 40 (dpd 20) and customer cash 100: invoice settled, 60 unapplied -> AR -60."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", days_ago(50), "40", days_ago(20))],
        payments=[pay(days_ago(5), "100", None, "C1")],
    )
    row = aging.aging(con, D, dataset_id=1).iloc[0]
    assert row["not_due"] == Decimal("-60.00") and row["total"] == Decimal("-60.00")


def test_several_currencies_are_reported_apart_and_never_summed(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", days_ago(10), "10", currency="EUR"),
            inv("B", "C1", days_ago(10), "20", currency="USD"),
        ],
    )
    frame = aging.aging(con, D, dataset_id=1)
    assert dict(zip(frame["currency"], frame["total"], strict=True)) == {"EUR": 10, "USD": 20}
    with pytest.raises(MixedCurrencyError):
        aging.ar(con, D, dataset_id=1)
    assert aging.ar(con, D, dataset_id=1, filters=Filters(currency=("USD",))) == 20


# --- properties -------------------------------------------------------------------------------

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2", "C3"]),
        st.integers(0, 400),
        st.integers(-30, 120),
        st.integers(-100_00, 1000_00),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=8,
)


def build(path, rows, scale=1, shuffle_seed=None):
    invoices, payments = [], []
    for n, (customer, age, terms, cents, paid_quarters) in enumerate(rows):
        amount = Decimal(cents) * scale / 100
        invoice_date = days_ago(age)
        invoices.append(
            inv(f"I{n}", customer, invoice_date, amount, invoice_date + timedelta(days=terms))
        )
        if paid_quarters:
            paid_cents = cents * paid_quarters // 4
            payments.append(
                pay(
                    invoice_date + timedelta(days=age // 2),
                    Decimal(paid_cents) * scale / 100,
                    f"I{n}",
                )
            )
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(invoices)
        random.Random(shuffle_seed).shuffle(payments)
    return make_ledger(path, invoices=invoices, payments=payments)


def fresh(factory):
    return factory.mktemp("aging") / f"{uuid.uuid4().hex}.duckdb"


FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(rows_strategy, st.lists(st.integers(1, 200), min_size=1, max_size=5))
def test_buckets_sum_to_outstanding_in_total_and_per_customer(tmp_path_factory, rows, edges):
    con = build(fresh(tmp_path_factory), rows)
    labels = bucket_labels(tuple(edges))
    total = aging.ar(con, D, dataset_id=1)
    for by in (None, "customer"):
        frame = aging.aging(con, D, dataset_id=1, edges=tuple(edges), by=by)
        for _, row in frame.iterrows():
            assert sum(row[label] for label in labels) == row["total"]
        assert sum(frame["total"], Decimal(0)) == total
    con.close()


@FAST
@given(rows_strategy, st.integers(0, 10_000))
def test_row_order_does_not_change_the_aged_balance(tmp_path_factory, rows, seed):
    first = build(fresh(tmp_path_factory), rows)
    second = build(fresh(tmp_path_factory), rows, shuffle_seed=seed)
    a = aging.aging(first, D, dataset_id=1, by="customer")
    b = aging.aging(second, D, dataset_id=1, by="customer")
    assert a.equals(b)


@FAST
@given(rows_strategy, st.integers(2, 7))
def test_scaling_every_amount_scales_money_and_keeps_the_overdue_share(tmp_path_factory, rows, k):
    base = build(fresh(tmp_path_factory), rows)
    scaled = build(fresh(tmp_path_factory), rows, scale=k)
    a = aging.aging(base, D, dataset_id=1).iloc[0]
    b = aging.aging(scaled, D, dataset_id=1).iloc[0]
    for label in [*LABELS, "total"]:
        assert b[label] == a[label] * k
    share_a = aging.overdue_share(base, D, dataset_id=1)
    share_b = aging.overdue_share(scaled, D, dataset_id=1)
    assert (share_a is None and share_b is None) or share_b == pytest.approx(share_a)


@FAST
@given(rows_strategy)
def test_an_as_of_date_before_the_first_invoice_gives_zero_outstanding(tmp_path_factory, rows):
    con = build(fresh(tmp_path_factory), rows)
    before = days_ago(401)
    assert aging.ar(con, before, dataset_id=1) == 0
    assert aging.overdue_share(con, before, dataset_id=1) is None


def test_ar_read_straight_from_the_ledger_equals_the_sum_of_the_open_items(tmp_path):
    """D = 2024-06-30. Customer A: invoice A1 1,000.00 paid 300.00 on it, credit note A2
    -100.00, write-off of 50.00 on A1, 2,000.00 of customer-level cash (covers A1's 650.00,
    then 1,350.00 unapplied); a payment of 999.00 naming an unknown invoice and an invoice
    dated after D count for nothing. Customer B: 400.00 in USD, open.
    EUR: 1,000 - 300 - 50 - 100 - 2,000 = -1,450.00; USD: 400.00.
    With the customer filter B only: USD 400.00. With segment SME (A's segment), the same
    figures go through the open items."""
    d = date(2024, 6, 30)
    con = make_ledger(
        tmp_path / f"{uuid.uuid4().hex}.duckdb",
        [
            inv("A1", "A", date(2024, 4, 1), "1000.00", date(2024, 5, 1)),
            inv("A2", "A", date(2024, 4, 2), "-100.00", date(2024, 4, 2)),
            inv("A3", "A", date(2024, 7, 1), "500.00", date(2024, 8, 1)),
            inv("B1", "B", date(2024, 6, 1), "400.00", date(2024, 7, 1), currency="USD"),
        ],
        [
            pay(date(2024, 5, 10), "300.00", invoice_id="A1"),
            pay(date(2024, 6, 1), "2000.00", customer_id="A"),
            pay(date(2024, 6, 2), "999.00", invoice_id="ZZ"),
        ],
        [{"customer_id": "A", "segment": "SME"}, {"customer_id": "B", "segment": "Large"}],
        [{"invoice_id": "A1", "write_off_date": date(2024, 6, 15), "amount": "50.00"}],
    )
    want = {"EUR": Decimal("-1450.00"), "USD": Decimal("400.00")}
    assert aging.ar_by_currency(con, d, dataset_id=1) == want
    assert {c: t[0] for c, t in aging.totals_by_currency(con, d, dataset_id=1).items()} == want
    only_b = Filters(customer_id=("B",))
    assert aging.ar_by_currency(con, d, dataset_id=1, filters=only_b) == {"USD": Decimal("400.00")}
    sme = Filters(segment=("SME",))
    assert aging.ar_by_currency(con, d, dataset_id=1, filters=sme) == {"EUR": Decimal("-1450.00")}
