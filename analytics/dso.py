"""DSO family: sales, period / average / countback DSO, BPDSO, ADD, CEI (kpi-spec section 3).

Days are ``float``; money is ``Decimal``; an undefined KPI (sales or denominator zero or
negative) is ``None``. Every function works on one currency: when the filtered ledger holds
several, :class:`analytics.asof.MixedCurrencyError` is raised (filter on one currency).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from analytics import asof
from analytics.aging import ar_by_currency, totals_by_currency
from analytics.config import (
    CEI_MONTHS,
    COUNTBACK_MAX_WINDOWS,
    NO_FILTERS,
    PERIOD_DAYS,
    Filters,
)

CENT = Decimal("0.01")


def is_month_end(d: date) -> bool:
    """True when ``d`` is the last day of its month."""
    return d.day == calendar.monthrange(d.year, d.month)[1]


def months_before(d: date, k: int) -> date:
    """``d`` moved ``k`` months back, as kpi-spec defines it.

    If ``d`` is the last day of its month: the last day of the month ``k`` months earlier;
    otherwise the same day of the month ``k`` months earlier, clamped to that month's length.
    ``months_before(2024-03-31, 1) == 2024-02-29``; ``months_before(2024-03-30, 1) ==
    2024-02-29``; ``months_before(2024-02-29, 1) == 2024-01-31``.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    index = d.year * 12 + (d.month - 1) - k
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    day = last if is_month_end(d) else min(d.day, last)
    return date(year, month, day)


def sales_windows(
    con: duckdb.DuckDBPyConnection,
    windows: Sequence[tuple[date, date]],
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> list[dict[str, Decimal]]:
    """Sales per window ``(start, end]`` and currency, in one query: ``[{currency: sales}]``.

    A window without sales gives an empty dict.
    """
    result: list[dict[str, Decimal]] = [{} for _ in windows]
    if not windows:
        return result
    binds = {
        "dataset_id": int(dataset_id),
        "w_key": list(range(len(windows))),
        "w_start": [w[0] for w in windows],
        "w_end": [w[1] for w in windows],
        "w_first": min(w[0] for w in windows),
        "w_last": max(w[1] for w in windows),
        **asof.filter_params(filters),
    }
    for key, currency, value in con.execute(asof.load_sql("sales_windows"), binds).fetchall():
        result[key][currency] = value
    return result


def sales(
    con: duckdb.DuckDBPyConnection,
    a: date,
    b: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> Decimal:
    """Sales over ``(a, b]``: ``sum(amount)`` of invoices with ``a < invoice_date <= b``.

    Amounts including tax, credit notes net (negative). Units: ``Decimal``. Null rule: no
    invoice gives 0.00. Several currencies: MixedCurrencyError. Reference: kpi-spec section 3.
    """
    per_currency = sales_windows(con, [(a, b)], dataset_id=dataset_id, filters=filters)[0]
    return asof.single_currency_total(sorted(per_currency.items()))


def _one_currency(*maps: dict[str, object]) -> None:
    currencies = sorted({c for m in maps for c in m})
    if len(currencies) > 1:
        raise asof.MixedCurrencyError(currencies)


def _first(values: dict[str, Decimal]) -> Decimal:
    return next(iter(values.values()), Decimal("0.00"))


def _balances(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    windows: Sequence[tuple[date, date]],
    dataset_id: int,
    filters: Filters,
) -> tuple[Decimal, Decimal, list[Decimal]]:
    """``(AR_D, not_due_D, [sales of each window])`` for a single currency."""
    totals = totals_by_currency(con, as_of, dataset_id=dataset_id, filters=filters)
    per_window = sales_windows(con, windows, dataset_id=dataset_id, filters=filters)
    _one_currency(totals, *per_window)
    ar_value, nd_value = next(iter(totals.values()), (Decimal("0.00"), Decimal("0.00")))
    return ar_value, nd_value, [_first(w) for w in per_window]


def dso_ratio(balance: Decimal | None, period_sales: Decimal, period_days: int) -> float | None:
    """``balance / period_sales * period_days`` in days; None when sales <= 0."""
    if balance is None or period_sales <= 0:
        return None
    return float(balance / period_sales * period_days)


def dso_period(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> float | None:
    """Period DSO: ``AR_D / sales(D-P, D] * P``, in days (float).

    Grain: the filtered ledger, one currency. Null rule: None when ``sales(D-P, D] <= 0``.
    Reference: kpi-spec section 3 (the "simple" or "comptable" DSO).
    """
    window = (as_of - timedelta(days=period_days), as_of)
    ar_value, _, (period_sales,) = _balances(con, as_of, [window], dataset_id, filters)
    return dso_ratio(ar_value, period_sales, period_days)


def dso_average(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> float | None:
    """Average-balance DSO: ``((AR_{D-P} + AR_D) / 2) / sales(D-P, D] * P``, in days.

    Null rule: None when ``sales(D-P, D] <= 0``. Several currencies: MixedCurrencyError.
    Reference: kpi-spec section 3.
    """
    start = as_of - timedelta(days=period_days)
    ar_end, _, (period_sales,) = _balances(con, as_of, [(start, as_of)], dataset_id, filters)
    ar_begin = ar_at(con, start, dataset_id=dataset_id, filters=filters)
    return dso_ratio((ar_begin + ar_end) / 2, period_sales, period_days)


def ar_at(
    con: duckdb.DuckDBPyConnection, when: date, *, dataset_id: int, filters: Filters
) -> Decimal:
    """AR at ``when`` (the start of an average-DSO or CEI period) for a single currency."""
    begin = ar_by_currency(con, when, dataset_id=dataset_id, filters=filters)
    _one_currency(begin)
    return _first(begin)


@dataclass(frozen=True)
class CountbackWindow:
    """One step of the countback waterfall: window ``(start, end]``."""

    window: int
    start: date
    end: date
    days: int
    sales: Decimal
    days_counted: float
    remaining: Decimal


@dataclass(frozen=True)
class Countback:
    """Countback DSO: ``value`` in days (None if undefined), ``capped``, and the waterfall."""

    value: float | None
    capped: bool
    waterfall: list[CountbackWindow] = field(default_factory=list)


def countback_windows(as_of: date, count: int = COUNTBACK_MAX_WINDOWS) -> list[tuple[date, date]]:
    """Windows ``w_k = (months_before(D, k), months_before(D, k-1)]`` for ``k = 1..count``."""
    return [(months_before(as_of, k), months_before(as_of, k - 1)) for k in range(1, count + 1)]


def countback(
    ar_value: Decimal,
    windows: Sequence[tuple[date, date]],
    window_sales: Sequence[Decimal],
) -> Countback:
    """Countback arithmetic over given windows (most recent first) and their sales.

    Start with ``r = AR_D``, ``dso = 0``; for each window: if ``r >= s_k`` then
    ``dso += d_k; r -= s_k``, else ``dso += r / s_k * d_k`` and stop; stop as soon as nothing
    remains (``r <= 0``). When windows run out with ``r > 0`` the result is ``capped``.
    Null rule: None when the windows' total sales are <= 0 (no sales to count back against).
    """
    if sum(window_sales, Decimal(0)) <= 0:
        return Countback(None, False, [])
    r = Decimal(ar_value)
    dso = 0.0
    steps: list[CountbackWindow] = []
    for k, ((start, end), s_k) in enumerate(zip(windows, window_sales, strict=True), start=1):
        if r <= 0:
            break
        d_k = (end - start).days
        if r >= s_k:
            dso += d_k
            r -= s_k
            steps.append(CountbackWindow(k, start, end, d_k, s_k, float(d_k), r))
        else:
            part = float(r / s_k * d_k)
            dso += part
            r = Decimal("0.00")
            steps.append(CountbackWindow(k, start, end, d_k, s_k, part, r))
            break
    return Countback(dso, r > 0, steps)


def dso_countback(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    max_windows: int = COUNTBACK_MAX_WINDOWS,
) -> Countback:
    """Countback DSO (méthode par épuisement du chiffre d'affaires), in days.

    Windows ``w_k = (months_before(D, k), months_before(D, k-1)]``, ``d_k`` days, sales
    ``s_k``; ``r = AR_D`` is exhausted against the most recent sales first (see
    :func:`countback`). Capped after ``max_windows`` windows (flag ``capped``). ``r <= 0`` at
    the start gives 0. Null rule: None when the sales of all the windows total <= 0.
    Public check: AR 2,500; sales 1,200 (30 days), 800 (31 days), 700 (30 days) give
    30 + 31 + 500/700 x 30 = 82.43 days. Reference: kpi-spec section 3.
    """
    windows = countback_windows(as_of, max_windows)
    ar_value, _, window_sales = _balances(con, as_of, windows, dataset_id, filters)
    return countback(ar_value, windows, window_sales)


def bpdso(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> float | None:
    """Best possible DSO: ``not_due_D / sales(D-P, D] * P``, in days.

    The DSO if every overdue amount were collected. Null rule: None when sales <= 0.
    Reference: kpi-spec section 3.
    """
    window = (as_of - timedelta(days=period_days), as_of)
    _, nd_value, (period_sales,) = _balances(con, as_of, [window], dataset_id, filters)
    return dso_ratio(nd_value, period_sales, period_days)


def add(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> float | None:
    """Average days delinquent: ``dso_period - bpdso = overdue_D / sales(D-P, D] * P``, days.

    Null rule: None when sales <= 0. Reference: kpi-spec section 3.
    """
    window = (as_of - timedelta(days=period_days), as_of)
    ar_value, nd_value, (period_sales,) = _balances(con, as_of, [window], dataset_id, filters)
    period = dso_ratio(ar_value, period_sales, period_days)
    best = dso_ratio(nd_value, period_sales, period_days)
    if period is None or best is None:
        return None
    return period - best


def cei_value(
    ar_begin: Decimal,
    period_sales: Decimal,
    months: int,
    ar_end: Decimal,
    not_due_end: Decimal,
) -> float | None:
    """``(AR_B + S/N - AR_D) / (AR_B + S/N - not_due_D) * 100``; None if the denominator <= 0."""
    base = ar_begin + period_sales / months
    denominator = base - not_due_end
    if denominator <= 0:
        return None
    return float((base - ar_end) / denominator * 100)


def cei(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    months: int = CEI_MONTHS,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Collection effectiveness index over the last ``months`` months, in percent.

    ``B = months_before(D, N)``, ``S = sales(B, D]``:
    ``cei = (AR_B + S/N - AR_D) / (AR_B + S/N - not_due_D) * 100``.
    Null rule: None when the denominator is <= 0. Several currencies: MixedCurrencyError.
    Public check: AR_B 6,200; S 10,890 over 3 months; AR_D 6,340; not_due_D 3,590 give
    (6,200 + 3,630 - 6,340) / (6,200 + 3,630 - 3,590) x 100 = 55.93.
    Reference: kpi-spec section 3.
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    begin_date = months_before(as_of, months)
    ar_end, nd_end, (period_sales,) = _balances(
        con, as_of, [(begin_date, as_of)], dataset_id, filters
    )
    ar_begin = ar_at(con, begin_date, dataset_id=dataset_id, filters=filters)
    return cei_value(ar_begin, period_sales, months, ar_end, nd_end)


def last_month_end(as_of: date) -> date:
    """``as_of`` if it is a month end, else the last day of the previous month."""
    if is_month_end(as_of):
        return as_of
    return as_of.replace(day=1) - timedelta(days=1)


def cei_monthly(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Monthly CEI: the CEI formula with ``N = 1`` over the last complete calendar month.

    The month is the one ending at :func:`last_month_end` of ``as_of`` (``as_of`` itself when
    it is a month end): ``D`` = that month end, ``B`` = the previous month end. In percent.
    Null rule: None when the denominator is <= 0. Reference: kpi-spec section 3.
    """
    return cei(con, last_month_end(as_of), 1, dataset_id=dataset_id, filters=filters)


def cash_released(
    days: float,
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> Decimal:
    """Cash released by a DSO reduction of ``days`` days: ``x * sales(D-P, D] / P``.

    Units: ``Decimal`` rounded to the cent (half-even). One day of DSO is worth one average
    day of sales. Reference: kpi-spec section 3.
    """
    period_sales = sales(
        con, as_of - timedelta(days=period_days), as_of, dataset_id=dataset_id, filters=filters
    )
    return (Decimal(str(days)) * period_sales / period_days).quantize(CENT)
