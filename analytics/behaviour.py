"""Payment behaviour: how fast and how late customers pay (kpi-spec section 4).

Population ("settled invoices"): invoices with a positive amount whose open amount reached 0
(``settle_date`` of :mod:`analytics.asof`) in the 365 days ``(D-365, D]`` and that carry no
write-off dated on or before D. A written-off invoice was not paid: including it would count a
loss as a very late payment; it is measured by :mod:`analytics.losses` instead. Credit notes
and unapplied cash are not invoices and are left out.

Per settled invoice:

- ``days_to_pay = settle_date - invoice_date`` (days);
- ``days_late = max(0, settle_date - due_date)`` (days);
- on time when ``settle_date <= due_date``.

Amounts serve only as weights; in a book with several currencies the weights are taken at face
value (filter on one currency for a currency-pure figure).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from analytics import aging, asof, itemcache
from analytics.config import (
    BUCKET_EDGES,
    DOUBTFUL_AFTER_DAYS,
    NO_FILTERS,
    Filters,
    bucket_labels,
)
from analytics.dso import months_before

#: Length of the behaviour window in days: invoices settled in (D - 365, D].
WINDOW_DAYS = 365
#: The per-customer trend compares the last TREND_RECENT_MONTHS with the rest of the window.
TREND_RECENT_MONTHS = 3

_BEHAVIOUR_KEYS = (
    "invoices",
    "amount",
    "avg_days_to_pay",
    "weighted_days_late",
    "avg_days_late",
    "on_time_rate",
)


def frame(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The result of an executed query as a DataFrame that keeps DECIMAL money as Decimal."""
    cols = [c[0] for c in cur.description]
    return pd.DataFrame(cur.fetchall(), columns=cols, dtype=object)


def _settled_sql(items: str, tail: str) -> str:
    return asof.compose("behaviour_settled", open_items=items) + "\n" + tail


def _params(dataset_id: int, as_of: date, filters: Filters) -> dict[str, Any]:
    return {
        **asof.params(dataset_id, as_of, filters),
        "window_start": as_of - timedelta(days=WINDOW_DAYS),
    }


def settled_invoices(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """The settled invoices behind every figure of this module (drill-down).

    One row per invoice settled in ``(D-365, D]`` (see the module docstring) with
    ``days_to_pay``, ``days_late`` and ``on_time`` (1 or 0).
    """
    sql = _settled_sql(
        itemcache.items_sql(con, dataset_id, as_of),
        "SELECT * EXCLUDE (segment, entity, country) FROM settled "
        "ORDER BY settle_date, customer_id, invoice_id",
    )
    return frame(con.execute(sql, _params(dataset_id, as_of, filters)))


def payment_behaviour(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> dict[str, Any]:
    """All book-level behaviour figures in one query.

    Keys: ``invoices`` (count), ``amount`` (Decimal, sum of the settled amounts),
    ``avg_days_to_pay``, ``weighted_days_late``, ``avg_days_late`` (days, float) and
    ``on_time_rate`` (fraction in [0, 1]); see the one-KPI functions for each formula. Every
    ratio is None when no invoice was settled in the window.
    """
    sql = _settled_sql(
        itemcache.items_sql(con, dataset_id, as_of), asof.load_sql("behaviour_summary")
    )
    row = con.execute(sql, _params(dataset_id, as_of, filters)).fetchone()
    out = dict(zip(_BEHAVIOUR_KEYS, row, strict=True))
    out["invoices"] = int(out["invoices"] or 0)
    return out


def avg_days_to_pay(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Amount-weighted mean days to pay of the invoices settled in ``(D-365, D]``.

    Formula: ``sum(amount_i * (settle_date_i - invoice_date_i)) / sum(amount_i)``.
    Units: days. Grain: the settled invoices of the filtered book.
    Null rule: None when no invoice was settled in the window.
    Reference: kpi-spec section 4.
    """
    return payment_behaviour(con, as_of, dataset_id=dataset_id, filters=filters)["avg_days_to_pay"]


def weighted_days_late(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Amount-weighted mean days late of the invoices settled in ``(D-365, D]``.

    Formula: ``sum(amount_i * max(0, settle_date_i - due_date_i)) / sum(amount_i)``.
    Units: days. Grain: the settled invoices of the filtered book.
    Null rule: None when no invoice was settled in the window.
    Reference: kpi-spec section 4.
    """
    return payment_behaviour(con, as_of, dataset_id=dataset_id, filters=filters)[
        "weighted_days_late"
    ]


def avg_days_late(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Simple mean days late of the invoices settled in ``(D-365, D]``.

    Formula: ``sum(max(0, settle_date_i - due_date_i)) / count(i)``; an invoice paid early
    counts 0 days late. Units: days. Grain: the settled invoices of the filtered book.
    Null rule: None when no invoice was settled in the window.
    Reference: kpi-spec section 4.
    """
    return payment_behaviour(con, as_of, dataset_id=dataset_id, filters=filters)["avg_days_late"]


def on_time_rate(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Share, by count, of the invoices settled in ``(D-365, D]`` that were paid on time.

    Formula: ``count(i : settle_date_i <= due_date_i) / count(i)``; an invoice paid on its due
    date is on time. Units: fraction in [0, 1]. Grain: the settled invoices of the filtered
    book. Null rule: None when no invoice was settled in the window.
    Reference: kpi-spec section 4.
    """
    return payment_behaviour(con, as_of, dataset_id=dataset_id, filters=filters)["on_time_rate"]


def customer_behaviour(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Payment behaviour per customer, one row per customer with a settled invoice.

    Columns: ``customer_id``, ``customer_name``, ``invoices``, ``amount`` and the four
    book-level figures computed over the customer's settled invoices, plus:

    - ``median_days_late``, ``p90_days_late``: continuous quantiles of days late (linear
      interpolation between the closest ranks, SQL ``quantile_cont``), days;
    - ``days_late_recent``: simple mean days late of the invoices settled in
      ``(months_before(D, 3), D]``; ``days_late_prior``: the same over the rest of the window,
      ``(D-365, months_before(D, 3)]``;
    - ``trend = days_late_recent - days_late_prior`` in days (positive: paying later than
      before); None when either side has no invoice.

    Reference: kpi-spec section 4.
    """
    sql = _settled_sql(
        itemcache.items_sql(con, dataset_id, as_of), asof.load_sql("behaviour_customers")
    )
    p = _params(dataset_id, as_of, filters)
    p["split"] = months_before(as_of, TREND_RECENT_MONTHS)
    return frame(con.execute(sql, p))


#: Invoice-size bands for the typical delay by size: amounts incl. tax, inclusive upper bounds.
SIZE_EDGES: tuple[Decimal, ...] = (Decimal("1000"), Decimal("10000"), Decimal("50000"))


def size_labels(edges: tuple[Decimal, ...] = SIZE_EDGES) -> list[str]:
    """Labels of the size bands: "<= 1000", "1000-10000", ..., "> 50000"."""
    labels = [f"<= {edges[0]}"]
    labels += [f"{lo}-{hi}" for lo, hi in zip(edges, edges[1:], strict=False)]
    return labels + [f"> {edges[-1]}"]


def delay_by_size(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    customer_id: str | None = None,
    edges: tuple[Decimal, ...] = SIZE_EDGES,
) -> pd.DataFrame:
    """Typical delay by invoice size, over the settled invoices of ``(D-365, D]``.

    Bands by amount incl. tax with inclusive upper bounds ``edges`` (default 1,000, 10,000 and
    50,000: "<= 1000", "1000-10000", "10000-50000", "> 50000"). Per band: ``invoices``
    (count), ``amount`` (Decimal), ``avg_days_late`` (simple mean of
    ``max(0, settle - due)``), ``median_days_late`` and ``on_time_rate`` (share settled on or
    before the due date). Grain: the book, or one customer with ``customer_id``. Bands
    without a settled invoice are left out. Reference: kpi-spec section 4 (same population).
    """
    edges = tuple(sorted(Decimal(e) for e in edges))
    if not edges:
        raise ValueError("at least one size edge is needed")
    sql = _settled_sql(
        itemcache.items_sql(con, dataset_id, as_of), asof.load_sql("behaviour_by_size")
    )
    params = {**_params(dataset_id, as_of, filters), "edges": list(edges), "customer": customer_id}
    out = frame(con.execute(sql, params))
    labels = size_labels(edges)
    out.insert(0, "size", [labels[int(b) - 1] for b in out["band"]])
    return out.drop(columns=["band"])


def distribution_labels(edges: tuple[int, ...] = BUCKET_EDGES) -> list[str]:
    """Bin labels of :func:`days_late_distribution`: on_time, 1-30, ..., >120."""
    return ["on_time", *bucket_labels(edges)[1:]]


def days_late_distribution(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    edges: tuple[int, ...] = BUCKET_EDGES,
) -> pd.DataFrame:
    """Histogram of days late over the invoices settled in ``(D-365, D]`` (for a chart).

    Bins: ``on_time`` (0 days late), then one bin per edge with inclusive upper bounds (the
    aging edges by default: 1-30, 31-60, 61-90, 91-120) and a last open bin (>120). Columns:
    ``bin`` (label), ``invoices`` (count), ``amount`` (Decimal); every bin is listed, empty
    ones with 0. Reference: kpi-spec section 4.
    """
    labels = distribution_labels(edges)
    case, binds = aging.bucket_index_sql(tuple(edges), "days_late")
    p = {**_params(dataset_id, as_of, filters), **binds}
    tail = asof.compose("behaviour_distribution", bin_case=case)
    rows = con.execute(
        _settled_sql(itemcache.items_sql(con, dataset_id, as_of), tail), p
    ).fetchall()
    found = {int(b): (int(n), a) for b, n, a in rows}
    zero = Decimal("0.00")
    return pd.DataFrame(
        {
            "bin": labels,
            "invoices": [found.get(k, (0, zero))[0] for k in range(len(labels))],
            "amount": [found.get(k, (0, zero))[1] for k in range(len(labels))],
        }
    )


#: Doubtful status of a customer, most serious first (see :func:`disputes_and_doubtful`).
DOUBTFUL_STATUSES = ("collective_procedure", "flagged", "age_based", "none")


def disputes_and_doubtful(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    doubtful_after_days: int = DOUBTFUL_AFTER_DAYS,
) -> pd.DataFrame:
    """Open disputes and doubtful status per customer and currency at ``as_of``.

    Items: invoices with a positive open amount at D. Columns: ``customer_id``,
    ``customer_name``, ``currency``, ``open_items``, ``open_amount``, ``disputed_items``
    (count of disputed items), ``disputed_amount = sum(open_amount of disputed items)``,
    ``doubtful_items`` and ``doubtful_flagged`` (count and open amount of the items flagged
    doubtful on or before D, every item when the customer is in a collective procedure),
    ``doubtful_age_based`` (open amount of the other items with ``dpd > doubtful_after_days``,
    default 180), ``collective_procedure`` and ``doubtful_status``: ``collective_procedure``,
    else ``flagged`` when ``doubtful_flagged > 0``, else ``age_based`` when
    ``doubtful_age_based > 0``, else ``none``. Units: counts, Decimal money. Grain: customer x
    currency, customers with an open invoice at D. Reference: kpi-spec sections 4 and 6.
    """
    sql = asof.compose(
        "behaviour_disputes",
        open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False),
    )
    p = {**asof.params(dataset_id, as_of, filters), "after_days": int(doubtful_after_days)}
    return frame(con.execute(sql, p))
