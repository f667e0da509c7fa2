"""Collection worklist: analytics.worklist on real DuckDB files."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from analytics import worklist
from tests.ledger_factory import inv, make_ledger

D = date(2024, 6, 30)


def due_ago(days):
    return D - timedelta(days=days)


@pytest.fixture
def book(tmp_path):
    """One customer A (B2B), invoices dated 2024-01-01 at various days past due.

    W0 due in 5 days (pre_reminder), W1 5 days past due (reminder), W2 20 (call),
    W3 45 (formal_notice), W4 75 (litigation), W5 due in 20 days (not listed), W6 disputed
    10 days past due (apart).
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("W0", "A", date(2024, 1, 1), "100.00", due_ago(-5)),
            inv("W1", "A", date(2024, 1, 1), "100.00", due_ago(5)),
            inv("W2", "A", date(2024, 1, 1), "100.00", due_ago(20)),
            inv("W3", "A", date(2024, 1, 1), "100.00", due_ago(45)),
            inv("W4", "A", date(2024, 1, 1), "1000.00", due_ago(75)),
            inv("W5", "A", date(2024, 1, 1), "100.00", due_ago(-20)),
            inv("W6", "A", date(2024, 1, 1), "100.00", due_ago(10), disputed=True),
        ],
        customers=[{"customer_id": "A", "is_business": True}],
    )


def test_each_item_shows_the_dunning_stage_it_has_reached(book):
    result = worklist.worklist(book, D, dataset_id=1)
    stages = dict(zip(result.items["invoice_id"], result.items["stage"], strict=True))
    assert stages == {
        "W0": "pre_reminder",
        "W1": "reminder",
        "W2": "call",
        "W3": "formal_notice",
        "W4": "litigation",
    }


def test_disputed_items_are_listed_apart(book):
    result = worklist.worklist(book, D, dataset_id=1)
    assert list(result.disputed["invoice_id"]) == ["W6"]


def test_items_are_ranked_by_amount_age_and_risk(book):
    """Same customer (same risk): W4 (1,000 x (1 + 75/30)) first, then by age: W3, W2, W1, W0."""
    result = worklist.worklist(book, D, dataset_id=1)
    assert list(result.items["invoice_id"]) == ["W4", "W3", "W2", "W1", "W0"]
    assert list(result.items["rank"]) == [1, 2, 3, 4, 5]


def test_the_priority_formula():
    """1,000 x (1 + 60/30) x (1 + 50/100) = 1,000 x 3 x 1.5 = 4,500."""
    assert worklist.priority(Decimal("1000"), 60, 50.0) == pytest.approx(4500.0)
    assert worklist.priority(Decimal("1000"), -3, 0.0) == pytest.approx(1000.0)


def test_penalty_and_indemnity_claimable_per_item(book):
    """W1: 100.00 x 5 days x (4.50 + 10) % / 365 = 0.199 -> 0.20; indemnity 40.00.
    W0 is not due yet: nothing claimable."""
    items = worklist.worklist(book, D, dataset_id=1).items.set_index("invoice_id")
    assert items.loc["W1", "penalty"] == Decimal("0.20")
    assert items.loc["W1", "indemnity_eur"] == Decimal("40.00")
    assert items.loc["W0", "penalty"] == Decimal("0.00")
    assert items.loc["W0", "indemnity_eur"] == Decimal("0.00")


def test_stage_thresholds_are_configurable(book):
    stages = {"reminder": 1, "call": 3, "formal_notice": 10, "litigation": 30}
    items = worklist.worklist(book, D, dataset_id=1, stages=stages).items.set_index("invoice_id")
    assert items.loc["W1", "stage"] == "call"
    assert items.loc["W2", "stage"] == "formal_notice"
    with pytest.raises(ValueError):
        worklist.worklist(book, D, dataset_id=1, stages={**stages, "call": 0})


def test_an_empty_book_has_an_empty_worklist(tmp_path):
    result = worklist.worklist(make_ledger(tmp_path / "w.duckdb"), D, dataset_id=1)
    assert result.items.empty and result.disputed.empty


def test_a_riskier_customer_comes_first_at_equal_amount_and_age(tmp_path):
    """R and S each owe 1,000.00 due 06-20 (10 days past due); R is in a collective procedure.

    Risk: overdue share 1 -> 30; oldest 10 days -> 20 x 10 / 180 = 1.111; share of the book
    0.5 -> 5 (capped); no trend, limit or dispute: S 36.111, R 36.111 + 10 = 46.111.
    Priority S = 1,000 x (1 + 10/30) x 1.36111 = 1,814.81; R = 1,000 x 1.33333 x 1.46111
    = 1,948.15: R first, though it owes no penalty or indemnity (collective procedure).
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("R1", "R", date(2024, 5, 21), "1000.00", date(2024, 6, 20)),
            inv("S1", "S", date(2024, 5, 21), "1000.00", date(2024, 6, 20)),
        ],
        customers=[{"customer_id": "R", "collective_procedure": True}],
    )
    items = worklist.worklist(con, D, dataset_id=1).items
    assert list(items["invoice_id"]) == ["R1", "S1"]
    scores = dict(zip(items["invoice_id"], items["risk_score"], strict=True))
    assert scores["S1"] == pytest.approx(30 + 20 * 10 / 180 + 5)
    assert scores["R1"] == pytest.approx(30 + 20 * 10 / 180 + 5 + 10)
    prio = dict(zip(items["invoice_id"], items["priority"], strict=True))
    assert prio["S1"] == pytest.approx(1814.81, abs=0.01)
    assert prio["R1"] == pytest.approx(1948.15, abs=0.01)
    r1 = items.set_index("invoice_id").loc["R1"]
    assert (r1["penalty"], r1["indemnity_eur"]) == (Decimal("0.00"), Decimal("0.00"))


def test_a_large_recent_item_outranks_a_small_old_one(tmp_path):
    """Same customer, same risk: 5,000.00 at 5 days: 5,000 x (1 + 5/30) = 5,833 x r;
    200.00 at 150 days: 200 x (1 + 150/30) = 1,200 x r. Amount weighs linearly."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("OLD", "A", date(2024, 1, 1), "200.00", due_ago(150)),
            inv("BIG", "A", date(2024, 5, 1), "5000.00", due_ago(5)),
        ],
    )
    items = worklist.worklist(con, D, dataset_id=1).items
    assert list(items["invoice_id"]) == ["BIG", "OLD"]
    prio = dict(zip(items["invoice_id"], items["priority"], strict=True))
    assert prio["BIG"] / prio["OLD"] == pytest.approx(5000 * (1 + 5 / 30) / 1200)
