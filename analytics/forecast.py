"""Cash-in forecast and its back-test (kpi-spec section 9).

Each open item (invoices and credit notes with a non-zero open amount at D; unapplied cash is
money already received and is left out) gets an expected collection date:

    expected = max(due_date + lag, D + 1 day)
    lag = the customer's median days late over the invoices settled in (D-365, D]
          (:mod:`analytics.behaviour` population), else the median days late of the customer's
          segment over the same invoices, else 0; rounded to whole days.

"Never before D": cash dated D is already in the ledger, so the earliest date is D + 1.
Disputed items are listed apart (``week`` None, not in the weekly totals). Week ``k`` (1 to
``weeks``, default 13) holds the expected dates in ``(D + 7(k-1), D + 7k]``; "later" holds the
rest. Invariant: weekly totals + later + disputed = the open amount of the items, per currency.
Credit notes count negative in the week of their own due date (the customer nets them).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from analytics import asof, behaviour, itemcache
from analytics.config import FORECAST_WEEKS, NO_FILTERS, Filters

LATER = "later"


def _sql(items: str, tail: str, **fragments: str) -> str:
    base = asof.compose("behaviour_settled", open_items=items)
    return base + "\n" + asof.load_sql("forecast_items") + "\n" + asof.compose(tail, **fragments)


def _params(dataset_id: int, as_of: date, filters: Filters, weeks: int) -> dict[str, Any]:
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    return {
        **asof.params(dataset_id, as_of, filters),
        "window_start": as_of - timedelta(days=behaviour.WINDOW_DAYS),
        "weeks": int(weeks),
    }


def forecast_items(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    weeks: int = FORECAST_WEEKS,
) -> pd.DataFrame:
    """Expected collection date of every open item at ``as_of`` (drill-down).

    Formula: ``expected_date = max(due_date + lag_days, D + 1)`` with ``lag_days`` the
    customer's median days late over the last 12 months (``lag_basis = 'customer'``), else its
    segment's (``'segment'``), else 0 (``'none'``). ``week`` = ``ceil((expected_date - D) / 7)``
    when at most ``weeks``, None for "later" and for disputed items. Units: money Decimal,
    days int. Grain: one row per open invoice or credit note. Reference: kpi-spec section 9.
    """
    sql = _sql(itemcache.items_sql(con, dataset_id, as_of), "forecast_list")
    return asof.query_frame(con, sql, _params(dataset_id, as_of, filters, weeks))


def week_bounds(as_of: date, weeks: int = FORECAST_WEEKS) -> list[tuple[int, date, date]]:
    """``(k, first day, last day)`` of each forecast week: ``(D + 7(k-1), D + 7k]``."""
    return [
        (k, as_of + timedelta(days=7 * (k - 1) + 1), as_of + timedelta(days=7 * k))
        for k in range(1, weeks + 1)
    ]


def _weekly(rows: pd.DataFrame, as_of: date, weeks: int, keys: list[str]) -> pd.DataFrame:
    """Complete grid: every key x currency gets every week and "later" (0.00 when empty)."""
    labels = [*(f"W{k:02d}" for k in range(1, weeks + 1)), LATER]
    starts = [b[1] for b in week_bounds(as_of, weeks)] + [as_of + timedelta(days=7 * weeks + 1)]
    ends: list[date | None] = [b[2] for b in week_bounds(as_of, weeks)] + [None]
    columns = [*keys, "currency", "week", "label", "start", "end", "amount", "items"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    found = {}
    for rec in rows.to_dict("records"):
        week = rec["week"]
        index = weeks if week is None or pd.isna(week) else int(week) - 1
        found[(*(rec[k] for k in keys), rec["currency"], index)] = (rec["amount"], rec["items"])
    groups = rows[[*keys, "currency"]].drop_duplicates().itertuples(index=False, name=None)
    out = []
    for group in groups:
        for index, label in enumerate(labels):
            amount, items = found.get((*group, index), (Decimal("0.00"), 0))
            week_no = index + 1 if index < weeks else None
            out.append([*group, week_no, label, starts[index], ends[index], amount, int(items)])
    frame = pd.DataFrame(out, columns=columns)
    frame["week"] = frame["week"].astype("Int64")
    return frame


def weekly_forecast(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    weeks: int = FORECAST_WEEKS,
    by_customer: bool = False,
) -> pd.DataFrame:
    """Expected cash-in per week for ``weeks`` weeks plus "later", per currency.

    Formula: ``amount_k = sum(open_amount)`` of the non-disputed items of
    :func:`forecast_items` whose expected date falls in week k, ``(D + 7(k-1), D + 7k]``;
    "later" sums the rest. Columns: (``customer_id``, ``customer_name`` when ``by_customer``),
    ``currency``, ``week`` (1..weeks, None for later), ``label`` (``W01``.., ``later``),
    ``start``, ``end`` (None for later), ``amount`` (Decimal), ``items``. Every week is listed,
    empty ones with 0.00. Reference: kpi-spec section 9.
    """
    keys = ["customer_id", "customer_name"] if by_customer else []
    sql = _sql(
        itemcache.items_sql(con, dataset_id, as_of),
        "forecast_weeks",
        select_keys="customer_id, MAX(customer_name) AS customer_name, " if by_customer else "",
        group_keys="customer_id, " if by_customer else "",
    )
    rows = asof.query_frame(con, sql, _params(dataset_id, as_of, filters, weeks))
    return _weekly(rows, as_of, weeks, keys)


def disputed_items(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """The disputed open items, kept out of the weekly forecast (kpi-spec section 9)."""
    items = forecast_items(con, as_of, dataset_id=dataset_id, filters=filters)
    if items.empty:
        return items
    return items[items["disputed"]].reset_index(drop=True)


def backtest(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    weeks: int = FORECAST_WEEKS,
) -> dict[str, Any]:
    """The forecast made at ``D0 = D - 7 x weeks`` days against the cash actually received.

    Forecast: :func:`weekly_forecast` at D0 (weeks 1..weeks, later excluded). Actual: for the
    items open and not disputed at D0, the cash received in each week ``(D0 + 7(k-1), D0 +
    7k]``: payments naming them, and customer-level payments as :mod:`analytics.asof`
    allocates them at D, dated when received (write-offs are not cash). Error, per currency:
    weighted absolute percentage error ``wape = sum_k |forecast_k - actual_k| / sum_k
    actual_k`` (fraction; 0 is perfect) and ``bias = (sum_k forecast_k - sum_k actual_k) /
    sum_k actual_k`` (positive: the forecast expected more cash than came). Null rule: None
    when nothing was collected in the window. Returns ``{"start": D0, "weeks": DataFrame
    (currency, week, forecast, actual), "wape": {currency: float | None}, "bias": {...},
    "forecast_total": {...}, "actual_total": {...}}``. Reference: kpi-spec section 9.
    """
    start = as_of - timedelta(days=7 * weeks)
    planned = weekly_forecast(con, start, dataset_id=dataset_id, filters=filters, weeks=weeks)
    sql = asof.compose("forecast_actual", open_items=itemcache.items_sql(con, dataset_id, as_of))
    p = {**asof.params(dataset_id, as_of, filters), "start": start, "weeks": int(weeks)}
    actual = asof.query_frame(con, sql, p)
    if not planned.empty:
        planned = planned[planned["week"].notna()]
    got = {(r["currency"], int(r["week"])): r["actual"] for r in actual.to_dict("records")}
    want = {(r["currency"], int(r["week"])): r["amount"] for r in planned.to_dict("records")}
    currencies = sorted({c for c, _ in got} | {c for c, _ in want})
    zero = Decimal("0.00")
    rows = [
        (c, k, want.get((c, k), zero), got.get((c, k), zero) or zero)
        for c in currencies
        for k in range(1, weeks + 1)
    ]
    frame = pd.DataFrame(rows, columns=["currency", "week", "forecast", "actual"])
    out: dict[str, Any] = {"start": start, "weeks": frame, "wape": {}, "bias": {}}
    out["forecast_total"], out["actual_total"] = {}, {}
    for c in currencies:
        part = frame[frame["currency"] == c]
        f_total = sum(part["forecast"], zero)
        a_total = sum(part["actual"], zero)
        pairs = zip(part["forecast"], part["actual"], strict=True)
        abs_err = sum((abs(f - a) for f, a in pairs), zero)
        out["forecast_total"][c] = f_total
        out["actual_total"][c] = a_total
        out["wape"][c] = float(abs_err / a_total) if a_total > 0 else None
        out["bias"][c] = float((f_total - a_total) / a_total) if a_total > 0 else None
    return out
