"""Concentration of the receivables on a few customers (kpi-spec section 5).

The population is the customers whose balance on the chosen basis is positive at D; a customer
with a zero or negative balance (credit notes, unapplied cash) holds no share of the risk and
is left out. Three bases answer three questions:

- ``outstanding`` (default): ``bal_c = sum(open_D)`` over the customer's open items (credit
  notes and unapplied cash net), who holds the receivables;
- ``overdue``: ``bal_c = sum(open_D)`` over the customer's items with ``dpd > 0``, who holds
  the overdue receivables;
- ``revenue``: ``bal_c = sales(D-365, D]`` of the customer (invoices net of credit notes dated
  in the 365 days to D), who makes the sales.

Shares ``s_c = bal_c / sum(bal)``. Balances are never added across currencies: every function
raises :class:`analytics.asof.MixedCurrencyError` when the positive balances carry several
currencies (filter on one currency).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from analytics import asof, itemcache
from analytics.behaviour import frame
from analytics.config import NO_FILTERS, TOP_N, Filters

BASES = ("outstanding", "overdue", "revenue")
#: The revenue basis covers the sales of the 365 days to D.
REVENUE_WINDOW_DAYS = 365

_EMPTY: dict[str, Any] = {
    "currency": None,
    "customers": 0,
    "total": None,
    "top_n_share": None,
    "hhi": None,
    "effective_customers": None,
    "gini": None,
    "customers_for_80pct": None,
}


def ranked_sql(items: str, tail: str) -> str:
    head = asof.compose("concentration_ranked", open_items=items)
    return head + "\n" + tail


def params(
    dataset_id: int, as_of: date, filters: Filters, basis: str, **extra: Any
) -> dict[str, Any]:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, not {basis!r}")
    return {
        **asof.params(dataset_id, as_of, filters),
        "basis": basis,
        "window_start": as_of - timedelta(days=REVENUE_WINDOW_DAYS),
        **extra,
    }


def concentration(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
    n: int = TOP_N,
) -> dict[str, Any]:
    """Every concentration figure in one query (see each one-KPI function for its formula).

    Keys: ``basis``, ``n``, ``currency``, ``customers`` (count with a positive balance),
    ``total`` (Decimal), ``top_n_share``, ``hhi``, ``effective_customers``, ``gini``,
    ``customers_for_80pct``. No customer with a positive balance: every figure is None and
    ``customers`` is 0. Raises MixedCurrencyError over several currencies.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    sql = ranked_sql(
        itemcache.items_sql(con, dataset_id, as_of, settle=False),
        asof.load_sql("concentration_summary"),
    )
    rows = con.execute(sql, params(dataset_id, as_of, filters, basis, top_n=int(n))).fetchall()
    return summary_result(rows, basis, n)


def summary_result(rows: list[tuple[Any, ...]], basis: str, n: int) -> dict[str, Any]:
    """The dict of :func:`concentration` from the rows of ``sql/concentration_summary.sql``."""
    if len(rows) > 1:
        raise asof.MixedCurrencyError([r[0] for r in rows])
    out: dict[str, Any] = {"basis": basis, "n": int(n), **_EMPTY}
    if rows:
        currency, customers, total, top, sum_sq, g, k80 = rows[0]
        out.update(
            currency=currency,
            customers=int(customers),
            total=total,
            top_n_share=float(top),
            hhi=10000.0 * sum_sq,
            effective_customers=1.0 / sum_sq,
            gini=max(0.0, float(g)),
            customers_for_80pct=int(k80),
        )
    return out


def top_n_share(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
    n: int = TOP_N,
) -> float | None:
    """Share of the total held by the ``n`` largest customers (default 10).

    Formula: ``sum of the n largest bal_c / sum(bal_c)`` over customers with ``bal_c > 0``
    (all of them when there are fewer than n). Units: fraction in [1/m, 1] for m customers.
    Grain: the filtered book, one currency. Null rule: None when no customer has a positive
    balance. Reference: kpi-spec section 5.
    """
    return concentration(con, as_of, dataset_id=dataset_id, filters=filters, basis=basis, n=n)[
        "top_n_share"
    ]


def hhi(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
) -> float | None:
    """Herfindahl-Hirschman index of the balances.

    Formula: ``hhi = 10,000 * sum(s_c^2)``, ``s_c = bal_c / sum(bal)`` over customers with
    ``bal_c > 0``. Units: points in [10,000 / m, 10,000] for m customers (10,000: a single
    customer). Null rule: None when no customer has a positive balance.
    Reference: kpi-spec section 5; US DOJ/FTC Horizontal Merger Guidelines (HHI).
    """
    return concentration(con, as_of, dataset_id=dataset_id, filters=filters, basis=basis)["hhi"]


def effective_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
) -> float | None:
    """Effective number of customers: how many equal customers would give the same HHI.

    Formula: ``1 / sum(s_c^2)`` over customers with ``bal_c > 0``. Units: customers (float in
    [1, m]). Null rule: None when no customer has a positive balance.
    Reference: kpi-spec section 5.
    """
    return concentration(con, as_of, dataset_id=dataset_id, filters=filters, basis=basis)[
        "effective_customers"
    ]


def gini(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
) -> float | None:
    """Gini coefficient of the balances, from the Lorenz curve.

    Formula: customers sorted ascending by balance, ``X_k = k / m``, ``Y_k`` the cumulative
    share of the k smallest (``X_0 = Y_0 = 0``); trapezoid rule:
    ``G = 1 - sum_k (X_k - X_(k-1)) * (Y_k + Y_(k-1)) = 1 - (2 * sum_k Y_k - 1) / m``.
    Units: fraction in [0, 1 - 1/m]: 0 when every customer holds the same balance (and for a
    single customer). Null rule: None when no customer has a positive balance.
    Reference: kpi-spec section 5.
    """
    return concentration(con, as_of, dataset_id=dataset_id, filters=filters, basis=basis)["gini"]


def customers_for_80pct(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
) -> int | None:
    """Smallest number k of customers whose k largest balances reach 80 % of the total.

    Formula: ``min k such that sum of the k largest bal_c >= 0.8 * sum(bal)``, compared
    exactly in DECIMAL (``5 * cum >= 4 * total``). Units: customers. Null rule: None when no
    customer has a positive balance. Reference: kpi-spec section 5 (Pareto).
    """
    return concentration(con, as_of, dataset_id=dataset_id, filters=filters, basis=basis)[
        "customers_for_80pct"
    ]


def _points(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    basis: str,
) -> pd.DataFrame:
    sql = ranked_sql(
        itemcache.items_sql(con, dataset_id, as_of, settle=False),
        asof.load_sql("concentration_points"),
    )
    df = frame(con.execute(sql, params(dataset_id, as_of, filters, basis)))
    currencies = sorted(set(df["currency"]))
    if len(currencies) > 1:
        raise asof.MixedCurrencyError(currencies)
    return df


def pareto_points(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
) -> pd.DataFrame:
    """Customers with a positive balance, largest first (Pareto chart and drill-down).

    Columns: ``rank`` (1 = largest), ``customer_id``, ``customer_name``, ``currency``,
    ``balance`` (Decimal), ``share`` (``bal_c / total``) and ``cum_share`` (share of the
    ``rank`` largest). Ties are ordered by customer id. Empty when no customer qualifies.
    """
    df = _points(con, as_of, dataset_id, filters, basis)
    out = df[["rank_desc", "customer_id", "customer_name", "currency", "balance", "share"]]
    out = out.assign(cum_share=df["cum_share_desc"]).rename(columns={"rank_desc": "rank"})
    return out.reset_index(drop=True)


def lorenz_points(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    basis: str = "outstanding",
) -> pd.DataFrame:
    """Points of the Lorenz curve (customers sorted ascending), starting at (0, 0).

    Columns: ``x`` (cumulative share of customers, k / m) and ``y`` (cumulative share of the
    balance held by the k smallest customers); the last point is (1, 1). Only (0, 0) when no
    customer has a positive balance.
    """
    df = _points(con, as_of, dataset_id, filters, basis).sort_values("rank_asc")
    xs = [0.0, *(float(x) for x in df["lorenz_x"])]
    ys = [0.0, *(float(y) for y in df["lorenz_y"])]
    return pd.DataFrame({"x": xs, "y": ys})
