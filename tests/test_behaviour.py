"""Payment behaviour (kpi-spec section 4): analytics.behaviour on real DuckDB files."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import behaviour
from analytics.config import NO_FILTERS, Filters
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)


def summary(con, as_of=D, filters=NO_FILTERS):
    return behaviour.payment_behaviour(con, as_of, dataset_id=1, filters=filters)


def per_customer(con, as_of=D):
    frame = behaviour.customer_behaviour(con, as_of, dataset_id=1)
    return {r["customer_id"]: r for r in frame.to_dict("records")}


@pytest.fixture
def book(tmp_path):
    """Four invoices, three of them settled in the window.

    A1 100.00 dated 01-01 due 01-31, paid 01-20 (invoice-level): 19 days to pay, 0 late.
    A2 300.00 dated 02-01 due 03-02, paid 03-12 (invoice-level): 40 days to pay, 10 late.
    B1 200.00 dated 03-01 due 03-31, paid 05-01 by a payment naming only customer B
       (FIFO: B1 is B's oldest due date): 61 days to pay, 31 late.
    B2 400.00 dated 05-01 due 05-31: still open at D, not in the population.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 1, 1), "100.00", date(2024, 1, 31)),
            inv("A2", "A", date(2024, 2, 1), "300.00", date(2024, 3, 2)),
            inv("B1", "B", date(2024, 3, 1), "200.00", date(2024, 3, 31)),
            inv("B2", "B", date(2024, 5, 1), "400.00", date(2024, 5, 31)),
        ],
        payments=[
            pay(date(2024, 1, 20), "100.00", "A1"),
            pay(date(2024, 3, 12), "300.00", "A2"),
            pay(date(2024, 5, 1), "200.00", customer_id="B"),
        ],
    )


def test_avg_days_to_pay_is_weighted_by_amount(book):
    """(100 x 19 + 300 x 40 + 200 x 61) / (100 + 300 + 200) = 26,100 / 600 = 43.5 days."""
    assert behaviour.avg_days_to_pay(book, D, dataset_id=1) == pytest.approx(43.5)


def test_weighted_days_late_is_weighted_by_amount(book):
    """(100 x 0 + 300 x 10 + 200 x 31) / 600 = 9,200 / 600 = 15.33 days."""
    assert behaviour.weighted_days_late(book, D, dataset_id=1) == pytest.approx(9200 / 600)


def test_avg_days_late_is_a_simple_mean(book):
    """(0 + 10 + 31) / 3 = 13.67 days: the 300.00 invoice weighs like the 100.00 one."""
    assert behaviour.avg_days_late(book, D, dataset_id=1) == pytest.approx(41 / 3)


def test_on_time_rate_counts_invoices(book):
    """Only A1 (paid 01-20, due 01-31) is on time: 1 / 3."""
    assert behaviour.on_time_rate(book, D, dataset_id=1) == pytest.approx(1 / 3)


def test_the_summary_gives_every_figure_and_the_settled_amount(book):
    result = summary(book)
    assert result["invoices"] == 3
    assert result["amount"] == Decimal("600.00")
    assert result["avg_days_to_pay"] == pytest.approx(43.5)
    assert result["on_time_rate"] == pytest.approx(1 / 3)


def test_the_settled_invoices_behind_the_figures_can_be_listed(book):
    frame = behaviour.settled_invoices(book, D, dataset_id=1)
    rows = {r["invoice_id"]: r for r in frame.to_dict("records")}
    assert set(rows) == {"A1", "A2", "B1"}
    assert (rows["B1"]["settle_date"], rows["B1"]["days_late"]) == (date(2024, 5, 1), 31)
    assert isinstance(rows["A2"]["amount"], Decimal)


def test_an_empty_book_has_no_behaviour(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    result = summary(con)
    assert result["invoices"] == 0
    for key in ("avg_days_to_pay", "weighted_days_late", "avg_days_late", "on_time_rate"):
        assert result[key] is None
    assert behaviour.customer_behaviour(con, D, dataset_id=1).empty


def test_an_invoice_paid_on_its_due_date_is_on_time(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C", date(2024, 5, 1), "50.00", date(2024, 5, 31))],
        payments=[pay(date(2024, 5, 31), "50.00", "A")],
    )
    result = summary(con)
    assert result["on_time_rate"] == 1.0
    assert result["avg_days_late"] == 0.0


def test_an_invoice_paid_early_counts_zero_days_late_not_negative(tmp_path):
    """Due 05-31, paid 05-11: 20 days early -> 0 days late, 10 days to pay."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C", date(2024, 5, 1), "50.00", date(2024, 5, 31))],
        payments=[pay(date(2024, 5, 11), "50.00", "A")],
    )
    result = summary(con)
    assert (result["avg_days_late"], result["avg_days_to_pay"]) == (0.0, 10.0)


def test_only_invoices_settled_in_the_365_days_to_d_count(tmp_path):
    """Settled on D-365 (2023-07-01): out; on D-364: in; after D: out."""
    day_out, day_in = D - timedelta(days=365), D - timedelta(days=364)
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("OLD", "C", date(2023, 6, 1), "10.00", date(2023, 6, 1)),
            inv("IN", "C", date(2023, 6, 1), "10.00", date(2023, 6, 1)),
            inv("LATE", "C", date(2024, 6, 1), "10.00", date(2024, 6, 1)),
        ],
        payments=[
            pay(day_out, "10.00", "OLD"),
            pay(day_in, "10.00", "IN"),
            pay(D + timedelta(days=1), "10.00", "LATE"),
        ],
    )
    frame = behaviour.settled_invoices(con, D, dataset_id=1)
    assert list(frame["invoice_id"]) == ["IN"]


def test_partial_payments_settle_an_invoice_on_the_last_one(tmp_path):
    """100.00 due 03-31: 40.00 on 03-20, 60.00 on 04-10 -> settled 04-10, 10 days late."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C", date(2024, 3, 1), "100.00", date(2024, 3, 31))],
        payments=[pay(date(2024, 3, 20), "40.00", "A"), pay(date(2024, 4, 10), "60.00", "A")],
    )
    assert summary(con)["avg_days_late"] == 10.0


def test_a_partly_paid_invoice_is_not_settled(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C", date(2024, 3, 1), "100.00", date(2024, 3, 31))],
        payments=[pay(date(2024, 3, 20), "99.99", "A")],
    )
    assert summary(con)["invoices"] == 0


def test_a_written_off_invoice_is_a_loss_not_a_late_payment(tmp_path):
    """A: 60.00 paid, 40.00 written off -> open 0 but left out; B paid 5 days late."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C", date(2023, 9, 1), "100.00", date(2023, 10, 1)),
            inv("B", "C", date(2024, 3, 1), "100.00", date(2024, 3, 31)),
        ],
        payments=[pay(date(2023, 10, 5), "60.00", "A"), pay(date(2024, 4, 5), "100.00", "B")],
        write_offs=[{"invoice_id": "A", "write_off_date": date(2024, 5, 1), "amount": "40.00"}],
    )
    result = summary(con)
    assert (result["invoices"], result["avg_days_late"]) == (1, 5.0)


def test_credit_notes_are_not_settled_invoices(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C", date(2024, 3, 1), "100.00", date(2024, 3, 31)),
            inv("CN", "C", date(2024, 3, 5), "-20.00", date(2024, 3, 5)),
        ],
        payments=[pay(date(2024, 4, 5), "100.00", "A")],
    )
    frame = behaviour.settled_invoices(con, D, dataset_id=1)
    assert list(frame["invoice_id"]) == ["A"]


def test_a_ledger_with_settlement_dates_only_uses_them(tmp_path):
    """No payments table: settled_date 04-15, due 03-31 -> 15 days late, 45 days to pay."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv(
                "A",
                "C",
                date(2024, 3, 1),
                "100.00",
                date(2024, 3, 31),
                settled_date=date(2024, 4, 15),
            )
        ],
    )
    result = summary(con)
    assert (result["avg_days_late"], result["avg_days_to_pay"]) == (15.0, 45.0)


def test_filters_restrict_the_population(book):
    """Customer A only: (100 x 19 + 300 x 40) / 400 = 34.75 days to pay."""
    result = summary(book, filters=Filters(customer_id=("A",)))
    assert (result["invoices"], result["avg_days_to_pay"]) == (2, pytest.approx(34.75))


@pytest.fixture
def trend_book(tmp_path):
    """Customer T, five invoices of 100.00 due 01-31 .. 05-31 (D = 06-30, split = 03-31).

    Days late 0 and 10 settled on or before 03-31 (prior); 20, 40 and 100 after (recent).
    Median of [0, 10, 20, 40, 100] = 20; p90: rank 0.9 x 4 = 3.6 -> 40 + 0.6 x 60 = 76.
    Recent mean (20 + 40 + 100) / 3 = 53.33; prior mean (0 + 10) / 2 = 5; trend 48.33.
    Customer U: one invoice settled 10 days late in May: no prior side, trend None.
    """
    dues = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 2, 29), date(2024, 3, 31)]
    lates = [0, 10, 40, 20]
    invoices, payments = [], []
    for k, (due, late) in enumerate(zip(dues, lates, strict=True)):
        invoices.append(inv(f"T{k}", "T", due - timedelta(days=30), "100.00", due))
        payments.append(pay(due + timedelta(days=late), "100.00", f"T{k}"))
    invoices.append(inv("T9", "T", date(2024, 1, 1), "100.00", date(2024, 3, 1)))
    payments.append(pay(date(2024, 6, 9), "100.00", "T9"))
    invoices.append(inv("U1", "U", date(2024, 4, 1), "100.00", date(2024, 5, 1)))
    payments.append(pay(date(2024, 5, 11), "100.00", "U1"))
    return make_ledger(tmp_path / "w.duckdb", invoices=invoices, payments=payments)


def test_per_customer_median_and_p90_of_days_late(trend_book):
    t = per_customer(trend_book)["T"]
    assert t["invoices"] == 5
    assert t["median_days_late"] == pytest.approx(20.0)
    assert t["p90_days_late"] == pytest.approx(76.0)


def test_per_customer_trend_compares_the_last_three_months_with_the_nine_before(trend_book):
    t = per_customer(trend_book)["T"]
    assert t["days_late_recent"] == pytest.approx(160 / 3)
    assert t["days_late_prior"] == pytest.approx(5.0)
    assert t["trend"] == pytest.approx(160 / 3 - 5)


def test_the_trend_is_none_when_one_side_has_no_invoice(trend_book):
    u = per_customer(trend_book)["U"]
    assert u["days_late_prior"] is None
    assert u["trend"] is None
    assert u["avg_days_late"] == 10.0


def test_the_distribution_puts_each_settled_invoice_in_one_bin(book):
    """A1 0 days late -> on_time; A2 10 -> 1-30; B1 31 -> 31-60; the other bins are empty."""
    frame = behaviour.days_late_distribution(book, D, dataset_id=1)
    assert list(frame["bin"]) == ["on_time", "1-30", "31-60", "61-90", "91-120", ">120"]
    assert list(frame["invoices"]) == [1, 1, 1, 0, 0, 0]
    assert list(frame["amount"]) == [Decimal(x) for x in ("100", "300", "200", "0", "0", "0")]


def test_the_distribution_follows_custom_edges(book):
    frame = behaviour.days_late_distribution(book, D, dataset_id=1, edges=(10,))
    assert list(frame["bin"]) == ["on_time", "1-10", ">10"]
    assert list(frame["invoices"]) == [1, 1, 1]


# ------------------------------------------------------------------ properties

invoice_rows = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.integers(min_value=-200, max_value=-1),  # invoice date, days from D
        st.sampled_from([0, 30, 60]),  # terms
        st.integers(min_value=1, max_value=100_000),  # amount in cents
        st.integers(min_value=0, max_value=120),  # payment delay after invoice date
    ),
    min_size=1,
    max_size=8,
)


def _build(folder: Path, rows, scale: int = 1, reverse: bool = False):
    invoices, payments = [], []
    for k, (cust, offset, terms, cents, delay) in enumerate(rows):
        day = D + timedelta(days=offset)
        amount = Decimal(cents * scale) / 100
        invoices.append(inv(f"I{k}", cust, day, amount, day + timedelta(days=terms)))
        payments.append(pay(day + timedelta(days=delay), amount, f"I{k}"))
    if reverse:
        invoices.reverse()
        payments.reverse()
    return make_ledger(folder / f"{uuid.uuid4().hex}.duckdb", invoices=invoices, payments=payments)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=invoice_rows, k=st.integers(min_value=2, max_value=1000))
def test_scaling_every_amount_leaves_days_and_rates_unchanged(tmp_path, rows, k):
    base = summary(_build(tmp_path, rows))
    scaled = summary(_build(tmp_path, rows, scale=k))
    assert scaled["amount"] == base["amount"] * k
    for key in ("avg_days_to_pay", "weighted_days_late", "avg_days_late", "on_time_rate"):
        if base[key] is None:
            assert scaled[key] is None
        else:
            assert scaled[key] == pytest.approx(base[key], rel=1e-12)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=invoice_rows)
def test_the_order_of_the_rows_does_not_matter(tmp_path, rows):
    assert summary(_build(tmp_path, rows)) == summary(_build(tmp_path, rows, reverse=True))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=invoice_rows)
def test_days_late_lie_between_zero_and_days_to_pay_and_rates_in_zero_one(tmp_path, rows):
    result = summary(_build(tmp_path, rows))
    if result["invoices"] == 0:
        assert result["on_time_rate"] is None
        return
    assert 0 <= result["on_time_rate"] <= 1
    assert 0 <= result["avg_days_late"]
    assert 0 <= result["weighted_days_late"] <= result["avg_days_to_pay"] + 1e-9


def test_the_typical_delay_by_invoice_size_groups_settled_invoices_by_amount_band(tmp_path):
    """As of D, three invoices settled in the window, bands <= 1000 / 1000-10000 / ...:

    A   800.00 due D-60, paid D-50 -> 10 days late   (band <= 1000)
    B 1,000.00 due D-60, paid D-60 ->  0 days late   (band <= 1000: the bound is inclusive)
    C 5,000.00 due D-40, paid D-10 -> 30 days late   (band 1000-10000)
    <= 1000: 2 invoices, 1,800.00, mean (10 + 0) / 2 = 5 days, median 5, on time 1/2
    1000-10000: 1 invoice, 5,000.00, 30 days, on time 0; the other bands are empty (left out).
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", D - timedelta(days=90), "800.00", D - timedelta(days=60)),
            inv("B", "C1", D - timedelta(days=90), "1000.00", D - timedelta(days=60)),
            inv("C", "C2", D - timedelta(days=70), "5000.00", D - timedelta(days=40)),
        ],
        payments=[
            pay(D - timedelta(days=50), "800.00", "A"),
            pay(D - timedelta(days=60), "1000.00", "B"),
            pay(D - timedelta(days=10), "5000.00", "C"),
        ],
    )
    out = behaviour.delay_by_size(con, D, dataset_id=1)
    assert out["size"].tolist() == ["<= 1000", "1000-10000"]
    assert out["invoices"].tolist() == [2, 1]
    assert out["amount"].tolist() == [Decimal("1800.00"), Decimal("5000.00")]
    assert out["avg_days_late"].tolist() == [5.0, 30.0]
    assert out["median_days_late"].tolist() == [5.0, 30.0]
    assert out["on_time_rate"].tolist() == [0.5, 0.0]
    only_c1 = behaviour.delay_by_size(con, D, dataset_id=1, customer_id="C1")
    assert only_c1["size"].tolist() == ["<= 1000"]


@pytest.fixture
def status_book(tmp_path):
    """Open disputes and doubtful items at D = 2024-06-30 (doubtful after 180 days past due).

    A: A1 500.00 due 06-01, disputed, open 500.00; A3 200.00 due 05-01, disputed, 50.00 paid
       06-10: open 150.00; A4 100.00 disputed but paid in full (not open); A2 300.00 due
       2023-12-01: 212 days past due > 180, not flagged -> age-based 300.00.
       Disputes: 2 items, 500 + 150 = 650.00. Status age_based.
    B: B1 400.00 flagged doubtful on 05-15 -> flagged 400.00; B2 250.00 flagged on 07-15,
       after D, and 0 days past due: not doubtful. Status flagged, 1 doubtful item.
    K: in a collective procedure: K1 80.00 counts as flagged. Status collective_procedure.
    N: N1 90.00 not due, nothing disputed: status none.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 5, 2), "500.00", date(2024, 6, 1), disputed=True),
            inv("A2", "A", date(2023, 11, 1), "300.00", date(2023, 12, 1)),
            inv("A3", "A", date(2024, 4, 1), "200.00", date(2024, 5, 1), disputed=True),
            inv("A4", "A", date(2024, 4, 1), "100.00", date(2024, 5, 1), disputed=True),
            inv(
                "B1",
                "B",
                date(2024, 1, 1),
                "400.00",
                date(2024, 1, 31),
                doubtful=True,
                doubtful_date=date(2024, 5, 15),
            ),
            inv(
                "B2",
                "B",
                date(2024, 6, 1),
                "250.00",
                date(2024, 6, 30),
                doubtful=True,
                doubtful_date=date(2024, 7, 15),
            ),
            inv("K1", "K", date(2024, 6, 1), "80.00", date(2024, 7, 1)),
            inv("N1", "N", date(2024, 6, 1), "90.00", date(2024, 7, 1)),
        ],
        payments=[pay(date(2024, 6, 10), "50.00", "A3"), pay(date(2024, 5, 20), "100.00", "A4")],
        customers=[{"customer_id": "K", "collective_procedure": True}],
    )


def test_open_disputes_are_counted_and_summed_per_customer(status_book):
    rows = {
        r["customer_id"]: r
        for r in behaviour.disputes_and_doubtful(status_book, D, dataset_id=1).to_dict("records")
    }
    assert (rows["A"]["disputed_items"], rows["A"]["disputed_amount"]) == (2, Decimal("650.00"))
    assert (rows["B"]["disputed_items"], rows["B"]["disputed_amount"]) == (0, Decimal("0.00"))
    assert rows["A"]["open_amount"] == Decimal("950.00")


def test_the_doubtful_status_names_the_most_serious_reason(status_book):
    frame = behaviour.disputes_and_doubtful(status_book, D, dataset_id=1)
    rows = {r["customer_id"]: r for r in frame.to_dict("records")}
    assert {c: r["doubtful_status"] for c, r in rows.items()} == {
        "A": "age_based",
        "B": "flagged",
        "K": "collective_procedure",
        "N": "none",
    }
    assert (rows["A"]["doubtful_age_based"], rows["A"]["doubtful_flagged"]) == (
        Decimal("300.00"),
        Decimal("0.00"),
    )
    assert (rows["B"]["doubtful_items"], rows["B"]["doubtful_flagged"]) == (1, Decimal("400.00"))
    assert rows["K"]["doubtful_flagged"] == Decimal("80.00")


def test_the_age_based_doubtful_threshold_is_a_setting(status_book):
    """With 250 days instead of 180, A2 (212 days past due) is no longer doubtful."""
    frame = behaviour.disputes_and_doubtful(status_book, D, dataset_id=1, doubtful_after_days=250)
    a = frame[frame["customer_id"] == "A"].iloc[0]
    assert (a["doubtful_age_based"], a["doubtful_status"]) == (Decimal("0.00"), "none")
