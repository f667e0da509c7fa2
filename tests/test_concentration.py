"""Concentration (kpi-spec section 5): analytics.concentration on real DuckDB files."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import concentration as conc
from analytics.asof import MixedCurrencyError
from analytics.config import Filters
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)
FUTURE = date(2024, 9, 30)


def figures(con, **kwargs):
    return conc.concentration(con, D, dataset_id=1, **kwargs)


@pytest.fixture
def book(tmp_path):
    """Balances at D: A 100.00 (120.00 less 20.00 paid), B 300.00, C 600.00, total 1,000.00;
    D holds only a credit note (-50.00) and E is fully paid: neither has a share.

    Shares 0.1, 0.3, 0.6.
    top-1 share 0.6; top-10 share 1.0.
    hhi = 10,000 x (0.01 + 0.09 + 0.36) = 4,600; effective customers 1 / 0.46 = 2.1739.
    Lorenz (ascending) Y = 0.1, 0.4, 1.0 at X = 1/3, 2/3, 1:
    G = 1 - 1/3 x [(0.1 + 0) + (0.4 + 0.1) + (1.0 + 0.4)] = 1 - 2.0 / 3 = 0.3333.
    80 %: top-1 0.6 < 0.8, top-2 0.9 >= 0.8 -> 2 customers.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 6, 1), "120.00", FUTURE),
            inv("B1", "B", date(2024, 6, 1), "300.00", FUTURE),
            inv("C1", "C", date(2024, 6, 1), "600.00", FUTURE),
            inv("D1", "D", date(2024, 6, 1), "-50.00", FUTURE),
            inv("E1", "E", date(2024, 6, 1), "80.00", FUTURE),
        ],
        payments=[pay(date(2024, 6, 10), "20.00", "A1"), pay(date(2024, 6, 10), "80.00", "E1")],
    )


def test_top_n_share_sums_the_n_largest_shares(book):
    assert conc.top_n_share(book, D, dataset_id=1, n=1) == pytest.approx(0.6)
    assert conc.top_n_share(book, D, dataset_id=1, n=2) == pytest.approx(0.9)
    assert conc.top_n_share(book, D, dataset_id=1) == pytest.approx(1.0)


def test_hhi_is_ten_thousand_times_the_sum_of_squared_shares(book):
    assert conc.hhi(book, D, dataset_id=1) == pytest.approx(4600.0)


def test_effective_customers_is_the_inverse_of_the_sum_of_squared_shares(book):
    assert conc.effective_customers(book, D, dataset_id=1) == pytest.approx(1 / 0.46)


def test_gini_follows_the_trapezoid_rule_on_the_ascending_lorenz_curve(book):
    assert conc.gini(book, D, dataset_id=1) == pytest.approx(1 / 3)


def test_customers_for_80pct_is_the_smallest_count_reaching_80_percent(book):
    assert conc.customers_for_80pct(book, D, dataset_id=1) == 2


def test_negative_and_zero_balances_hold_no_share(book):
    result = figures(book)
    assert result["customers"] == 3
    assert result["total"] == Decimal("1000.00")
    assert set(conc.pareto_points(book, D, dataset_id=1)["customer_id"]) == {"A", "B", "C"}


def test_the_pareto_points_rank_customers_largest_first(book):
    frame = conc.pareto_points(book, D, dataset_id=1)
    assert list(frame["customer_id"]) == ["C", "B", "A"]
    assert list(frame["rank"]) == [1, 2, 3]
    assert list(frame["balance"]) == [Decimal("600.00"), Decimal("300.00"), Decimal("100.00")]
    assert list(frame["cum_share"]) == pytest.approx([0.6, 0.9, 1.0])


def test_the_lorenz_points_start_at_the_origin_and_end_at_one_one(book):
    frame = conc.lorenz_points(book, D, dataset_id=1)
    assert list(frame["x"]) == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert list(frame["y"]) == pytest.approx([0, 0.1, 0.4, 1.0])


def test_an_empty_book_has_no_concentration(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    result = figures(con)
    assert result["customers"] == 0
    for key in ("top_n_share", "hhi", "effective_customers", "gini", "customers_for_80pct"):
        assert result[key] is None
    assert list(conc.lorenz_points(con, D, dataset_id=1)["x"]) == [0.0]
    assert conc.pareto_points(con, D, dataset_id=1).empty


def test_a_book_where_everything_is_paid_has_no_concentration(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A1", "A", date(2024, 6, 1), "10.00", FUTURE)],
        payments=[pay(date(2024, 6, 2), "10.00", "A1")],
    )
    assert figures(con)["hhi"] is None


def test_one_customer_holds_everything(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 6, 1), "10.00", FUTURE),
            inv("A2", "A", date(2024, 6, 2), "15.00", FUTURE),
        ],
    )
    result = figures(con)
    assert result["top_n_share"] == pytest.approx(1.0)
    assert result["hhi"] == pytest.approx(10000.0)
    assert result["effective_customers"] == pytest.approx(1.0)
    assert result["gini"] == pytest.approx(0.0, abs=1e-12)
    assert result["customers_for_80pct"] == 1


def test_equal_balances_give_a_gini_of_zero_and_as_many_effective_customers(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv(f"I{c}", c, date(2024, 6, 1), "25.00", FUTURE) for c in "ABCD"],
    )
    result = figures(con)
    assert result["gini"] == pytest.approx(0.0, abs=1e-12)
    assert result["effective_customers"] == pytest.approx(4.0)
    assert result["customers_for_80pct"] == 4


def test_a_top_share_of_exactly_80_percent_is_enough(tmp_path):
    """A 8.00 of 10.00 = 0.8 exactly (compared in DECIMAL, not in floating point): 1."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 6, 1), "8.00", FUTURE),
            inv("B1", "B", date(2024, 6, 1), "1.00", FUTURE),
            inv("C1", "C", date(2024, 6, 1), "1.00", FUTURE),
        ],
    )
    assert figures(con)["customers_for_80pct"] == 1


def test_the_overdue_basis_keeps_only_items_past_due(tmp_path):
    """Overdue at D: A 100.00 (due 06-01), B 300.00 (due 06-29); C's 600.00 is due on D, not
    overdue; B's credit note not yet due does not reduce B's overdue balance.
    Shares 0.25, 0.75: hhi = 10,000 x (0.0625 + 0.5625) = 6,250."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 5, 1), "100.00", date(2024, 6, 1)),
            inv("B1", "B", date(2024, 5, 1), "300.00", date(2024, 6, 29)),
            inv("B2", "B", date(2024, 6, 20), "-100.00", FUTURE),
            inv("C1", "C", date(2024, 5, 1), "600.00", D),
        ],
    )
    result = figures(con, basis="overdue")
    assert (result["customers"], result["total"]) == (2, Decimal("400.00"))
    assert result["hhi"] == pytest.approx(6250.0)


def test_the_revenue_basis_counts_the_sales_of_the_365_days_to_d(tmp_path):
    """Sales in (D-365, D]: A 100.00 + 300.00 (paid, still sales), B 500.00 - 100.00 (credit
    note) = 400.00; A's invoice dated D-365 is outside. Shares 0.5, 0.5: gini 0, hhi 5,000."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A0", "A", D - timedelta(days=365), "999.00", FUTURE),
            inv("A1", "A", D - timedelta(days=364), "100.00", FUTURE),
            inv("A2", "A", date(2024, 6, 1), "300.00", FUTURE),
            inv("B1", "B", date(2024, 6, 1), "500.00", FUTURE),
            inv("B2", "B", date(2024, 6, 2), "-100.00", FUTURE),
            inv("C1", "C", D + timedelta(days=1), "700.00", FUTURE),
        ],
        payments=[pay(date(2024, 6, 5), "300.00", "A2")],
    )
    result = figures(con, basis="revenue")
    assert (result["customers"], result["total"]) == (2, Decimal("800.00"))
    assert result["hhi"] == pytest.approx(5000.0)
    assert result["gini"] == pytest.approx(0.0, abs=1e-12)


def test_an_unknown_basis_is_refused(book):
    with pytest.raises(ValueError, match="basis"):
        figures(book, basis="margin")


def test_several_currencies_are_never_mixed(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 6, 1), "100.00", FUTURE, currency="EUR"),
            inv("B1", "B", date(2024, 6, 1), "100.00", FUTURE, currency="USD"),
        ],
    )
    with pytest.raises(MixedCurrencyError):
        figures(con)
    with pytest.raises(MixedCurrencyError):
        conc.pareto_points(con, D, dataset_id=1)
    result = figures(con, filters=Filters(currency=("USD",)))
    assert (result["currency"], result["customers"]) == ("USD", 1)


# ------------------------------------------------------------------ properties

balances = st.lists(st.integers(min_value=-50_000, max_value=1_000_000), min_size=1, max_size=12)


def _build(folder: Path, cents_list, scale: int = 1, reverse: bool = False):
    rows = [
        inv(f"I{k}", f"C{k % 7}", date(2024, 6, 1), Decimal(c * scale) / 100, FUTURE)
        for k, c in enumerate(cents_list)
    ]
    if reverse:
        rows.reverse()
    return make_ledger(folder / f"{uuid.uuid4().hex}.duckdb", invoices=rows)


def _positive_customers(cents_list) -> int:
    per: dict[str, int] = {}
    for k, c in enumerate(cents_list):
        per[f"C{k % 7}"] = per.get(f"C{k % 7}", 0) + c
    return sum(1 for v in per.values() if v > 0)


_SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(cents_list=balances)
def test_shares_hhi_and_gini_stay_within_their_bounds(tmp_path, cents_list):
    result = figures(_build(tmp_path, cents_list), n=1)
    n = _positive_customers(cents_list)
    assert result["customers"] == n
    if n == 0:
        assert result["hhi"] is None
        return
    eps = 1e-9
    assert 1 / n - eps <= result["top_n_share"] <= 1 + eps
    assert 10000 / n - eps <= result["hhi"] <= 10000 + eps
    assert 0 <= result["gini"] < 1
    assert result["gini"] <= 1 - 1 / n + eps
    assert 1 - eps <= result["effective_customers"] <= n + eps
    assert 1 <= result["customers_for_80pct"] <= n


@_SETTINGS
@given(cents_list=balances, k=st.integers(min_value=2, max_value=1000))
def test_scaling_every_amount_leaves_the_ratios_unchanged(tmp_path, cents_list, k):
    base = figures(_build(tmp_path, cents_list))
    scaled = figures(_build(tmp_path, cents_list, scale=k))
    assert scaled["customers_for_80pct"] == base["customers_for_80pct"]
    for key in ("top_n_share", "hhi", "effective_customers", "gini"):
        if base[key] is None:
            assert scaled[key] is None
        else:
            assert scaled[key] == pytest.approx(base[key], rel=1e-9, abs=1e-12)


@_SETTINGS
@given(cents_list=balances)
def test_the_order_of_the_rows_does_not_matter(tmp_path, cents_list):
    assert figures(_build(tmp_path, cents_list)) == figures(
        _build(tmp_path, cents_list, reverse=True)
    )


def test_a_book_of_large_accounts_does_not_overflow(tmp_path):
    """Balances A 30,000,000.00 and B 10,000,000.00 (squares of 3e9 and 1e9 cents overflow
    18 digits): shares 0.75 and 0.25, hhi = 10,000 x (0.5625 + 0.0625) = 6,250, effective
    customers 1 / 0.625 = 1.6; Gini = 1 - 1/2 x [(0.25 + 0) + (1 + 0.25)] = 0.25."""
    con = make_ledger(
        tmp_path / "big.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 6, 1), "30000000.00", FUTURE),
            inv("B1", "B", date(2024, 6, 1), "10000000.00", FUTURE),
        ],
    )
    got = figures(con)
    assert got["hhi"] == pytest.approx(6250.0)
    assert got["effective_customers"] == pytest.approx(1.6)
    assert got["gini"] == pytest.approx(0.25)
