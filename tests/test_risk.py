"""Customer risk score: analytics.risk on real DuckDB files and as pure arithmetic."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import risk
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)


@pytest.fixture
def book(tmp_path):
    """A: 600.00 overdue (due 05-31, dpd 30) + 400.00 not due; limit 2,000; 100.00 disputed
    (part of the overdue). B: 3,000.00 not due, no limit, collective procedure.

    A: overdue_share 600 / 1,000 = 0.6 -> 30 x 0.6 = 18; oldest_dpd 30 -> 20 x 30/180 = 3.333;
       trend None -> 0; utilisation 1,000 / 2,000 = 0.5 -> 15 x 0.5/1.5 = 5;
       disputes 100 / 1,000 = 0.1 -> 10 x 0.1 = 1; book_share 1,000 / 4,000 = 0.25 -> 5 (capped);
       collective 0. Score 18 + 3.333 + 0 + 5 + 1 + 5 + 0 = 32.333.
    B: overdue 0; dpd 0; no trend; no limit; no dispute; share 0.75 -> 5; collective 10: 15.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 5, 1), "500.00", date(2024, 5, 31)),
            inv("A2", "A", date(2024, 5, 1), "100.00", date(2024, 5, 31), disputed=True),
            inv("A3", "A", date(2024, 6, 15), "400.00", date(2024, 7, 15)),
            inv("B1", "B", date(2024, 6, 15), "3000.00", date(2024, 7, 15)),
        ],
        customers=[
            {"customer_id": "A", "credit_limit": "2000.00"},
            {"customer_id": "B", "collective_procedure": True},
        ],
    )


def test_the_score_is_the_sum_of_the_weighted_components(book):
    scores = risk.risk_scores(book, D, dataset_id=1)
    assert list(scores["customer_id"]) == ["A", "B"]
    a = scores.iloc[0]
    assert a["overdue_share_points"] == pytest.approx(18.0)
    assert a["oldest_dpd_points"] == pytest.approx(20 * 30 / 180)
    assert a["utilisation_points"] == pytest.approx(5.0)
    assert a["disputes_points"] == pytest.approx(1.0)
    assert a["book_share_points"] == pytest.approx(5.0)
    assert a["trend_value"] is None
    assert a["score"] == pytest.approx(18 + 20 * 30 / 180 + 5 + 1 + 5)
    assert scores.iloc[1]["score"] == pytest.approx(15.0)


def test_explain_lists_every_component_and_sums_to_the_score(book):
    scores = risk.risk_scores(book, D, dataset_id=1)
    view = risk.explain(scores, "B")
    assert list(view["component"]) == list(risk.COMPONENTS)
    assert view["points"].sum() == pytest.approx(15.0)
    assert view["weight"].sum() == pytest.approx(100.0)
    row = view.set_index("component").loc["collective_procedure"]
    assert (row["value"], row["points"]) == (True, 10.0)
    with pytest.raises(KeyError):
        risk.explain(scores, "nobody")


def test_weights_must_sum_to_100():
    with pytest.raises(ValueError, match="100"):
        risk.check_weights({**risk.RISK_WEIGHTS, "trend": 11.0})
    with pytest.raises(ValueError, match="unknown"):
        risk.check_weights({"luck": 100.0})


def test_an_empty_book_has_no_scores(tmp_path):
    assert risk.risk_scores(make_ledger(tmp_path / "w.duckdb"), D, dataset_id=1).empty


values = st.fixed_dictionaries(
    {
        "overdue_share": st.floats(min_value=-1, max_value=2),
        "oldest_dpd": st.floats(min_value=0, max_value=1000),
        "trend": st.one_of(st.none(), st.floats(min_value=-100, max_value=100)),
        "utilisation": st.one_of(st.none(), st.floats(min_value=0, max_value=5)),
        "disputes": st.floats(min_value=0, max_value=1),
        "book_share": st.floats(min_value=0, max_value=1),
        "collective_procedure": st.booleans(),
    }
)


@given(values=values, more=st.floats(min_value=0, max_value=2))
def test_the_score_stays_in_0_100_and_never_falls_when_the_overdue_share_rises(values, more):
    base = risk.score_values(values)
    assert 0.0 <= base <= 100.0
    higher = risk.score_values({**values, "overdue_share": values["overdue_share"] + more})
    assert higher >= base


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=100_000), min_size=2, max_size=5),
    overdue_count=st.integers(min_value=0, max_value=5),
)
def test_making_more_invoices_overdue_never_lowers_a_ledgers_score(
    tmp_path, amounts, overdue_count
):
    """Moving due dates from after D to before D raises overdue share and age, nothing else."""
    scores = []
    for k in (min(overdue_count, len(amounts) - 1), min(overdue_count + 1, len(amounts))):
        invoices = [
            inv(
                f"I{n}",
                "A",
                date(2024, 5, 1),
                a,
                D - timedelta(days=10) if n < k else D + timedelta(days=10),
            )
            for n, a in enumerate(amounts)
        ]
        con = make_ledger(tmp_path / f"{uuid.uuid4().hex}.duckdb", invoices=invoices)
        scores.append(float(risk.risk_scores(con, D, dataset_id=1)["score"].iloc[0]))
        con.close()
    assert 0.0 <= scores[0] <= scores[1] <= 100.0


def test_a_customer_paying_later_than_before_gets_trend_points_and_one_paying_earlier_none(
    tmp_path,
):
    """D = 2024-06-30; the trend compares invoices settled after 2024-03-31 with those before.

    T: T0 paid on its due date 02-15 (0 days late, prior), T1 due 04-30 paid 05-20 (20 days
       late, recent): trend +20 -> 10 x 20 / 30 = 6.667 points.
    U: U0 due 02-15 paid 03-16 (30 days late, prior), U1 paid on its due date 04-30: trend
       -30 -> 0 points (a fraction is never negative).
    Each has 1,000.00 open, not due: share of the book 0.5 -> 5 points; nothing else.
    Scores: T 6.667 + 5 = 11.667; U 5.
    """
    invoices, payments = [], []
    for c, prior_paid, recent_paid in (
        ("T", date(2024, 2, 15), date(2024, 5, 20)),
        ("U", date(2024, 3, 16), date(2024, 4, 30)),
    ):
        invoices += [
            inv(f"{c}0", c, date(2024, 1, 15), "100.00", date(2024, 2, 15)),
            inv(f"{c}1", c, date(2024, 4, 1), "100.00", date(2024, 4, 30)),
            inv(f"{c}2", c, date(2024, 6, 15), "1000.00", date(2024, 7, 15)),
        ]
        payments += [pay(prior_paid, "100.00", f"{c}0"), pay(recent_paid, "100.00", f"{c}1")]
    con = make_ledger(tmp_path / "w.duckdb", invoices=invoices, payments=payments)
    scores = risk.risk_scores(con, D, dataset_id=1).set_index("customer_id")
    assert scores.loc["T", "trend_value"] == pytest.approx(20.0)
    assert scores.loc["T", "trend_points"] == pytest.approx(10 * 20 / 30)
    assert scores.loc["T", "score"] == pytest.approx(10 * 20 / 30 + 5)
    assert scores.loc["U", "trend_value"] == pytest.approx(-30.0)
    assert scores.loc["U", "trend_points"] == 0.0
    assert scores.loc["U", "score"] == pytest.approx(5.0)
