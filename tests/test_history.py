"""Month-end history and roll rates (kpi-spec section 9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics import aging, dso, history
from analytics.config import Filters, bucket_labels
from tests.ledger_factory import inv, make_ledger, pay

LABELS = bucket_labels()
AS_OF = date(2024, 4, 30)


def test_month_ends_include_the_as_of_date_when_it_is_a_month_end():
    assert history.month_ends(date(2024, 3, 31), 3) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]


def test_month_ends_stop_at_the_previous_month_end_otherwise():
    assert history.month_ends(date(2024, 3, 30), 2) == [date(2024, 1, 31), date(2024, 2, 29)]
    assert len(history.month_ends(date(2024, 3, 30))) == 24


@pytest.fixture
def book(tmp_path):
    """A 100 dated 01-10 due 02-09 (C1), B 50 dated 02-05 due 03-06 (C1),
    C -20 dated 03-05 due 04-04 (credit note, C2); 60 paid on A 03-20; C1 pays 10 on 04-03
    without naming an invoice (FIFO -> A, due first).

    2024-02-29: A dpd 20 (1-30) 100, B not due 50: AR 150, not_due 50, overdue 100;
      sales (12-01, 02-29] 150 -> dso 150/150*90 = 90, bpdso 30, add 60;
      countback Feb 50 (29 d) + Jan 100 (31 d) = 60 days;
      CEI B = 01-31: AR_B 100, S 50: (100 + 50 - 150) / (100 + 50 - 50) = 0 %.
    2024-03-31: A 40 dpd 51 (31-60), B 50 dpd 25 (1-30), C -20 not due: AR 70, not_due -20;
      sales (01-01, 03-31] 130 -> dso 70/130*90 = 48.46; bpdso -13.85; add 62.31;
      countback Mar -20 (31 d), Feb 50 (29 d), Jan 40/100*31 = 12.4 -> 72.4 days;
      CEI: (150 - 20 - 70) / (150 - 20 + 20) = 40 %.
    2024-04-30: A 30 dpd 81 (61-90), B 50 dpd 55 (31-60), C -20 dpd 26 (1-30): AR 60,
      not_due 0; sales (01-31, 04-30] 30 -> dso 180, bpdso 0, add 180;
      countback Apr 0 (30 d), Mar (31 d), Feb (29 d), Jan 30/100*31 = 9.3 -> 99.3 days;
      CEI: (70 + 0 - 60) / (70 + 0 - 0) = 14.29 %.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 1, 10), "100", date(2024, 2, 9)),
            inv("B", "C1", date(2024, 2, 5), "50", date(2024, 3, 6)),
            inv("C", "C2", date(2024, 3, 5), "-20", date(2024, 4, 4)),
        ],
        payments=[pay(date(2024, 3, 20), "60", "A"), pay(date(2024, 4, 3), "10", None, "C1")],
    )


def test_the_history_of_a_small_book_matches_the_hand_computation(book):
    frame = history.history(book, AS_OF, dataset_id=1, months=3)
    assert list(frame["month_end"]) == [date(2024, 2, 29), date(2024, 3, 31), AS_OF]
    got = {r["month_end"]: r for r in frame.to_dict("records")}
    feb, mar, apr = got[date(2024, 2, 29)], got[date(2024, 3, 31)], got[AS_OF]
    assert [feb[x] for x in ("ar", "not_due", "1-30", "overdue")] == [150, 50, 100, 100]
    assert [mar[x] for x in ("ar", "not_due", "1-30", "31-60")] == [70, -20, 50, 40]
    assert [apr[x] for x in ("ar", "not_due", "1-30", "31-60", "61-90")] == [60, 0, -20, 50, 30]
    assert feb["overdue_share"] == pytest.approx(100 / 150)
    expected = {
        "dso_period": (90.0, 70 / 130 * 90, 180.0),
        "bpdso": (30.0, -20 / 130 * 90, 0.0),
        "add": (60.0, 90 / 130 * 90, 180.0),
        "dso_countback": (60.0, 72.4, 99.3),
        "cei": (0.0, 40.0, 10 / 70 * 100),
    }
    for column, values in expected.items():
        assert [feb[column], mar[column], apr[column]] == pytest.approx(list(values)), column
    assert not any(frame["countback_capped"])
    assert apr["sales_period"] == Decimal("30.00")


def test_every_month_end_keeps_buckets_summing_to_outstanding(book):
    frame = history.history(book, AS_OF, dataset_id=1, months=6)
    for _, row in frame.iterrows():
        assert sum(row[label] for label in LABELS) == row["ar"]


def test_history_agrees_with_the_point_in_time_functions(book):
    frame = history.history(book, AS_OF, dataset_id=1, months=4)
    for row in frame.to_dict("records"):
        m = row["month_end"]
        assert row["ar"] == aging.ar(book, m, dataset_id=1)
        assert row["not_due"] == aging.not_due(book, m, dataset_id=1)
        for column, fn in (("dso_period", dso.dso_period), ("bpdso", dso.bpdso)):
            value = fn(book, m, dataset_id=1)
            assert (value is None and row[column] is None) or row[column] == pytest.approx(value)
        cb = dso.dso_countback(book, m, dataset_id=1)
        assert (cb.value is None and row["dso_countback"] is None) or row[
            "dso_countback"
        ] == pytest.approx(cb.value)
        cei = dso.cei_monthly(book, m, dataset_id=1)
        assert (cei is None and row["cei"] is None) or row["cei"] == pytest.approx(cei)


def test_history_before_the_first_invoice_has_zero_outstanding_and_no_dso(book):
    frame = history.history(book, AS_OF, dataset_id=1, months=6)
    first = frame.iloc[0]
    assert first["month_end"] == date(2023, 11, 30)
    assert first["ar"] == 0 and first["dso_period"] is None and first["dso_countback"] is None


def test_history_respects_the_filters(book):
    frame = history.history(
        book, AS_OF, dataset_id=1, months=2, filters=Filters(customer_id=("C2",))
    )
    assert list(frame["ar"]) == [Decimal("-20.00"), Decimal("-20.00")]


def test_history_of_an_empty_ledger_is_empty(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    assert history.history(con, AS_OF, dataset_id=1).empty
    assert history.roll_rates(con, AS_OF, dataset_id=1).empty


def moves(frame, month_end):
    part = frame[(frame["month_end"] == month_end) & (frame["amount"] != 0)]
    return {(r["from_bucket"], r["to"]): (r["amount"], r["share"]) for _, r in part.iterrows()}


def test_roll_rates_of_a_small_book_match_the_hand_computation(book):
    """02-29: A 100 not_due -> 1-30. 03-31: B 50 not_due -> 1-30; A 100 in 1-30 -> 60 paid,
    40 to 31-60. 04-30: B 50 1-30 -> 31-60; A 40 in 31-60 -> 10 paid (FIFO), 30 to 61-90;
    the credit note (open -20) is left out."""
    frame = history.roll_rates(book, AS_OF, dataset_id=1, months=3)
    assert moves(frame, date(2024, 2, 29)) == {("not_due", "1-30"): (100, 1.0)}
    assert moves(frame, date(2024, 3, 31)) == {
        ("not_due", "1-30"): (50, 1.0),
        ("1-30", "paid"): (60, 0.6),
        ("1-30", "31-60"): (40, 0.4),
    }
    assert moves(frame, AS_OF) == {
        ("1-30", "31-60"): (50, 1.0),
        ("31-60", "paid"): (10, 0.25),
        ("31-60", "61-90"): (30, 0.75),
    }


def test_roll_rates_split_every_bucket_amount_exactly(book):
    frame = history.roll_rates(book, AS_OF, dataset_id=1, months=4)
    for _, group in frame.groupby(["month_end", "currency", "from_bucket"]):
        assert sum(group["amount"]) == group["from_amount"].iloc[0]
        assert sum(group["share"]) == pytest.approx(1.0)


def test_roll_rates_report_write_offs_apart_from_payments(tmp_path):
    """100 due 01-31, written off 03-15: at 02-29 in 1-30 (dpd 29); at 03-31 all written off."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 1, 1), "100", date(2024, 1, 31))],
        write_offs=[{"invoice_id": "A", "write_off_date": date(2024, 3, 15), "amount": "100"}],
    )
    frame = history.roll_rates(con, date(2024, 3, 31), dataset_id=1, months=2)
    assert moves(frame, date(2024, 3, 31)) == {("1-30", "written_off"): (100, 1.0)}
