"""Credit limits and credit insurance (kpi-spec section 7).

Balances are the open amounts of :mod:`analytics.asof` at D (unapplied cash included), per
customer and currency. The customers table gives ``credit_limit`` and ``insured_limit``; it has
no currency, so a limit is read in the currency of the customer's balance. A customer with
balances in several currencies gets no limit figures (``limit_applies`` false, values None)
rather than a silent mix. Population: customers with at least one open item at D after the
filters (a customer with a limit and nothing in the ledger has no exposure to measure).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd

from analytics import asof, itemcache
from analytics.config import NO_FILTERS, UNINSURED_EXPOSURE_THRESHOLD, Filters


def _sql(items: str, tail: str) -> str:
    base = asof.compose("credit_customers", open_items=items)
    return base + "\n" + asof.load_sql(tail)


def credit_by_customer(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Limit utilisation, breaches, headroom and uninsured exposure per customer and currency.

    Columns: ``customer_id``, ``customer_name``, ``segment``, ``currency``, ``balance``
    (``bal_c = sum(open_amount)`` at D), ``overdue``, ``credit_limit``, ``insured_limit``,
    ``limit_applies`` and:

    - ``utilisation = bal_c / credit_limit_c`` (float, 1.0 = limit reached); None without a
      positive limit or when ``limit_applies`` is false;
    - ``breach``: ``bal_c > credit_limit_c`` (None without a limit);
    - ``headroom = credit_limit_c - bal_c`` (Decimal, negative when in breach; None without a
      limit);
    - ``uninsured_exposure = max(0, bal_c - insured_limit_c)`` (Decimal; an absent insured
      limit insures nothing, so the whole positive balance is uninsured);
      ``no_insured_limit`` flags those customers.

    Grain: customer x currency. Reference: kpi-spec section 7.
    """
    sql = _sql(itemcache.items_sql(con, dataset_id, as_of, settle=False), "credit_list")
    return asof.query_frame(con, sql, asof.params(dataset_id, as_of, filters))


def _by_customer(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    given: pd.DataFrame | None,
) -> pd.DataFrame:
    if given is not None:
        return given
    return credit_by_customer(con, as_of, dataset_id=dataset_id, filters=filters)


def utilisation(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    customer_id: str,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """One customer's limit utilisation ``bal_c / credit_limit_c`` at ``as_of`` (float).

    Null rule: None without a positive credit limit, without an open item at D, or when the
    customer's balance is in several currencies. Reference: kpi-spec section 7.
    """
    one = replace(filters, customer_id=(customer_id,))
    frame = credit_by_customer(con, as_of, dataset_id=dataset_id, filters=one)
    if len(frame) != 1:
        return None
    value = frame["utilisation"].iloc[0]
    return None if value is None or pd.isna(value) else float(value)


def limit_breaches(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    by_customer: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customers whose balance exceeds their credit limit (``utilisation > 1``) at ``as_of``.

    Rows of :func:`credit_by_customer` with ``breach`` true, plus ``amount_over_limit =
    bal_c - credit_limit_c`` (Decimal), sorted by that amount, largest first.
    ``by_customer``: that frame when the caller already has it (same D and filters).
    Reference: kpi-spec section 7.
    """
    frame = _by_customer(con, as_of, dataset_id, filters, by_customer)
    if frame.empty:
        return frame.assign(amount_over_limit=[])
    out = frame[frame["breach"].eq(True)].copy()
    out["amount_over_limit"] = [-h for h in out["headroom"]]
    return out.sort_values("amount_over_limit", ascending=False, kind="stable").reset_index(
        drop=True
    )


def uninsured_exposure(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    by_customer: pd.DataFrame | None = None,
) -> dict[str, Decimal]:
    """Total uninsured exposure per currency: ``sum_c max(0, bal_c - insured_limit_c)``.

    An absent insured limit counts as 0 insured. Customers whose balance is in several
    currencies are left out (their limits cannot be read). Units: ``{currency: Decimal}``;
    an empty book gives ``{}``. ``by_customer`` as in :func:`limit_breaches`.
    Reference: kpi-spec section 7.
    """
    frame = _by_customer(con, as_of, dataset_id, filters, by_customer)
    out: dict[str, Decimal] = {}
    if frame.empty:
        return out
    frame = frame[frame["limit_applies"]]
    for currency, value in zip(frame["currency"], frame["uninsured_exposure"], strict=True):
        out[currency] = out.get(currency, Decimal("0.00")) + value
    return out


def uninsured_above(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    threshold: Decimal = UNINSURED_EXPOSURE_THRESHOLD,
    by_customer: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customers with no insured limit whose balance exceeds ``threshold`` at ``as_of``.

    Rows of :func:`credit_by_customer` with ``insured_limit`` missing and ``balance >
    threshold`` (same currency as the balance), largest balance first. ``by_customer`` as
    in :func:`limit_breaches`. Reference: kpi-spec section 7 (credit insurance).
    """
    frame = _by_customer(con, as_of, dataset_id, filters, by_customer)
    if frame.empty:
        return frame
    keep = frame["no_insured_limit"] & frame["balance"].map(lambda b: b > threshold)
    out = frame[keep]
    return out.sort_values("balance", ascending=False, kind="stable").reset_index(drop=True)


def credit_by_segment(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Credit figures per segment and currency at ``as_of``.

    Columns: ``segment`` (customer's), ``currency``, ``customers``, ``balance``,
    ``with_limit``, ``credit_limit`` (sum), ``utilisation = sum(bal_c of customers with a limit)
    / sum(credit_limit_c)`` (float, None when the limits sum to 0), ``breaches`` (count),
    ``amount_over_limit`` and ``uninsured_exposure`` (Decimal sums).
    Reference: kpi-spec section 7.
    """
    sql = _sql(itemcache.items_sql(con, dataset_id, as_of, settle=False), "credit_segments")
    return asof.query_frame(con, sql, asof.params(dataset_id, as_of, filters))
