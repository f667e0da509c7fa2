"""Views over time: month-end history of the balance KPIs and roll rates (kpi-spec section 9).

Month ends are the last ``months`` (default 24) month ends on or before ``as_of`` (``as_of``
itself when it is a month end). All month ends are computed in one aging query over the open
items at every month end (plus the month end before the first, for the monthly CEI) and one
sales query over every window needed; the per-month formulas then run on those aggregates.
Figures are per currency (one row per month end and currency).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from analytics import asof
from analytics.aging import aging_select, bucket_index_sql, normalise_edges
from analytics.config import (
    BUCKET_EDGES,
    COUNTBACK_MAX_WINDOWS,
    HISTORY_MONTHS,
    NO_FILTERS,
    PERIOD_DAYS,
    Filters,
    bucket_labels,
)
from analytics.dso import (
    cei_value,
    countback,
    dso_ratio,
    last_month_end,
    months_before,
    sales_windows,
)

ZERO = Decimal("0.00")


def month_ends(as_of: date, months: int = HISTORY_MONTHS) -> list[date]:
    """The last ``months`` month ends on or before ``as_of``, oldest first."""
    if months < 1:
        raise ValueError("months must be >= 1")
    last = last_month_end(as_of)
    return [months_before(last, k) for k in range(months - 1, -1, -1)]


def _aging_by_date(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[date],
    edges: tuple[int, ...],
    dataset_id: int,
    filters: Filters,
) -> dict[tuple[date, str], list[Decimal]]:
    """``{(as_of, currency): [not_due, bucket..., total]}`` for every date, in one query."""
    select, binds = aging_select(edges, ["as_of", "currency"])
    sql = asof.compose(
        "aging",
        open_items=asof.open_items_history_sql(),
        age="dpd",
        select=select,
        keys="as_of, currency",
    )
    cur = con.execute(sql, {**asof.history_params(dataset_id, dates, filters), **binds})
    width = len(edges) + 3
    return {(row[0], row[1]): list(row[2 : 2 + width]) for row in cur.fetchall()}


def history(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    months: int = HISTORY_MONTHS,
    edges: tuple[int, ...] = BUCKET_EDGES,
    period_days: int = PERIOD_DAYS,
    max_windows: int = COUNTBACK_MAX_WINDOWS,
) -> pd.DataFrame:
    """Month-end history: one row per month end ``M`` (oldest first) and currency.

    Columns: ``month_end``, ``currency``, ``ar`` (AR_M), ``not_due``, one column per overdue
    bucket (``config.bucket_labels``), ``overdue`` (AR_M - not_due_M), ``overdue_share``
    (overdue / AR, None when AR <= 0), ``sales_period`` (sales(M-P, M]), ``dso_period``
    (AR_M / sales * P), ``dso_countback`` and ``countback_capped`` (windows are the calendar
    months before M), ``bpdso`` (not_due_M / sales * P), ``add`` (dso_period - bpdso), ``cei``
    (monthly CEI: N = 1, B = the previous month end, S = sales of the calendar month of M, in
    percent). Money is ``Decimal``, days and ratios ``float``, undefined values None (same null
    rules as :mod:`analytics.dso` and :mod:`analytics.aging`; the frame has object columns so
    that None stays None). A currency with no open item
    at a month end has AR 0.00 there.
    Reference: kpi-spec sections 2, 3 and 9.
    """
    edges = normalise_edges(edges)
    labels = bucket_labels(edges)
    ends = month_ends(as_of, months)
    dates = [months_before(ends[0], 1), *ends]
    balances = _aging_by_date(con, dates, edges, dataset_id, filters)

    first_month = months_before(ends[0], max_windows)
    calendar_ends = [months_before(ends[-1], k) for k in range(months + max_windows, -1, -1)]
    calendar_ends = [d for d in calendar_ends if d >= first_month]
    month_windows = list(zip(calendar_ends, calendar_ends[1:], strict=False))
    period_windows = [(m - timedelta(days=period_days), m) for m in ends]
    found = sales_windows(
        con, month_windows + period_windows, dataset_id=dataset_id, filters=filters
    )
    month_sales = {w[1]: s for w, s in zip(month_windows, found, strict=False)}
    period_sales = dict(zip(ends, found[len(month_windows) :], strict=True))

    currencies = sorted({c for (_, c) in balances} | {c for s in found for c in s})
    empty = [ZERO] * (len(labels) + 1)
    rows: list[dict[str, Any]] = []
    for i, m in enumerate(ends):
        for c in currencies:
            values = balances.get((m, c), empty)
            ar_m, nd_m = values[-1], values[0]
            ar_b = balances.get((dates[i], c), empty)[-1]
            s_p = period_sales[m].get(c, ZERO)
            windows = [
                (months_before(m, k), months_before(m, k - 1)) for k in range(1, max_windows + 1)
            ]
            cb = countback(ar_m, windows, [month_sales[w[1]].get(c, ZERO) for w in windows])
            period = dso_ratio(ar_m, s_p, period_days)
            best = dso_ratio(nd_m, s_p, period_days)
            row: dict[str, Any] = {"month_end": m, "currency": c, "ar": ar_m}
            row.update(zip(labels, values[:-1], strict=True))
            row.update(
                overdue=ar_m - nd_m,
                overdue_share=float((ar_m - nd_m) / ar_m) if ar_m > 0 else None,
                sales_period=s_p,
                dso_period=period,
                dso_countback=cb.value,
                countback_capped=cb.capped,
                bpdso=best,
                add=None if period is None or best is None else period - best,
                cei=cei_value(ar_b, month_sales[m].get(c, ZERO), 1, ar_m, nd_m),
            )
            rows.append(row)
    columns = [
        "month_end",
        "currency",
        "ar",
        *labels,
        "overdue",
        "overdue_share",
        "sales_period",
        "dso_period",
        "dso_countback",
        "countback_capped",
        "bpdso",
        "add",
        "cei",
    ]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def roll_rates(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    months: int = HISTORY_MONTHS,
    edges: tuple[int, ...] = BUCKET_EDGES,
) -> pd.DataFrame:
    """Roll rates between consecutive month ends, as a long table.

    For each month end ``M`` of :func:`month_ends` (the first one compared with the month end
    before it), each currency and each bucket ``b`` at ``M-1`` (by days past due at ``M-1``):
    ``from_amount`` = the open amount at ``M-1`` of the items in ``b`` with a positive open
    amount (credit notes and unapplied cash are left out: a share of a negative amount means
    nothing), and one row per destination ``to``: ``paid`` (payments allocated between the two
    month ends), ``written_off`` (write-offs between them), and each bucket label (the part
    still open at ``M``, in the bucket it has reached: the same one or a later one). Per
    ``(M, b)``: ``paid + written_off + sum(buckets at M) == from_amount`` to the cent.
    ``share = amount / from_amount`` (float; None when ``from_amount <= 0``).
    Columns: month_end, currency, from_bucket, from_amount, to, amount, share.
    Reference: kpi-spec section 9.
    """
    edges = normalise_edges(edges)
    labels = bucket_labels(edges)
    ends = month_ends(as_of, months)
    dates = [months_before(ends[0], 1), *ends]
    bucket, binds = bucket_index_sql(edges)
    to_columns = ", ".join(
        f"CAST(COALESCE(SUM(c.open_amount) FILTER (WHERE c.bucket = {i}), 0) AS DECIMAL(18,2))"
        f" AS t{i}"
        for i in range(len(labels))
    )
    sql = asof.compose(
        "roll_rates",
        open_items=asof.open_items_history_sql(),
        bucket=bucket,
        to_columns=to_columns,
    )
    binds = {
        **asof.history_params(dataset_id, dates, filters),
        **binds,
        "prev_dates": dates[:-1],
        "cur_dates": dates[1:],
    }
    records: list[dict[str, Any]] = []
    for row in con.execute(sql, binds).fetchall():
        month_end, currency, from_bucket, from_amount, paid, written_off, *to = row
        targets = [("paid", paid), ("written_off", written_off), *zip(labels, to, strict=True)]
        for name, amount in targets:
            records.append(
                {
                    "month_end": month_end,
                    "currency": currency,
                    "from_bucket": labels[from_bucket],
                    "from_amount": from_amount,
                    "to": name,
                    "amount": amount,
                    "share": float(amount / from_amount) if from_amount > 0 else None,
                }
            )
    columns = ["month_end", "currency", "from_bucket", "from_amount", "to", "amount", "share"]
    return pd.DataFrame(records, columns=columns)
