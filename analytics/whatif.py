"""What-if calculators: cash released by a lower DSO, other payment terms, collecting the top
overdue customers. Each answers on one currency (MixedCurrencyError otherwise: filter first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from analytics import aging, asof, dso, itemcache
from analytics.config import NO_FILTERS, PERIOD_DAYS, TOP_N, Filters

CENT = Decimal("0.01")


def cash_from_dso_reduction(
    days: float,
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> Decimal:
    """Cash released by a DSO reduction of ``days`` days: ``x * sales(D-P, D] / P``.

    Delegates to :func:`analytics.dso.cash_released`. Units: Decimal (cent).
    Reference: kpi-spec section 3.
    """
    return dso.cash_released(
        days, con, as_of, dataset_id=dataset_id, filters=filters, period_days=period_days
    )


@dataclass(frozen=True)
class TermsEffect:
    """Effect of moving every invoice of the DSO period to the target terms."""

    invoices: int
    sales: Decimal
    delta_days: float | None
    delta_ar: Decimal | None
    dso_before: float | None
    dso_after: float | None
    open_invoices_affected: int
    open_amount_affected: Decimal


def terms_change(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    target: str | int = "45eom",
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    period_days: int = PERIOD_DAYS,
) -> TermsEffect:
    """Change in AR and DSO if every invoice had the ``target`` terms.

    Target: ``"45eom"`` (due at the end of the month of invoice date + 45 days) or a whole
    number of days net. For each invoice with a positive amount dated in ``(D-P, D]``:
    ``delta_i = target_due_i - due_i`` (days). Assumptions: each customer keeps its delay after
    the due date, so every invoice stays ``delta_i`` days more (or less) in the book; sales are
    unchanged; steady state. Then ``delta_dso = sum(amount_i x delta_i) / sum(amount_i)``
    (days), ``delta_ar = sum(amount_i x delta_i) / P`` (Decimal) and ``dso_after =
    dso_period + delta_dso``. Also counts the invoices open at D whose due date would move
    earlier. Null rule: deltas None when the period has no positive sales.
    Reference: kpi-spec section 3 (DSO); Code de commerce L441-10 (terms).
    """
    if isinstance(target, str):
        if target != "45eom":
            raise ValueError("target must be '45eom' or a number of days")
        new_due = (
            "CAST(date_trunc('month', invoice_date + INTERVAL '45' DAY)"
            " + INTERVAL '1' MONTH - INTERVAL '1' DAY AS DATE)"
        )
        p_days = 0
    else:
        if int(target) < 0:
            raise ValueError("target terms must be >= 0 days")
        new_due = "CAST(invoice_date + $target_days * INTERVAL '1' DAY AS DATE)"
        p_days = int(target)
    sql = asof.compose(
        "whatif_terms",
        open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False),
        new_due=new_due,
    )
    p = asof.params(dataset_id, as_of, filters)
    if not isinstance(target, str):
        p["target_days"] = p_days
    p["period_start"] = as_of - timedelta(days=period_days)
    rows = con.execute(sql, p).fetchall()
    if len(rows) > 1:
        raise asof.MixedCurrencyError(sorted(r[0] for r in rows))
    if not rows:
        return TermsEffect(0, Decimal("0.00"), None, None, None, None, 0, Decimal("0.00"))
    _, n, sales, weighted, n_open, open_amount = rows[0]
    before = dso.dso_period(
        con, as_of, dataset_id=dataset_id, filters=filters, period_days=period_days
    )
    if not sales or sales <= 0:
        return TermsEffect(
            int(n), Decimal(sales or 0), None, None, before, None, int(n_open), Decimal(open_amount)
        )
    delta_days = float(Decimal(weighted) / sales)
    delta_ar = (Decimal(weighted) / period_days).quantize(CENT)
    after = None if before is None else before + delta_days
    return TermsEffect(
        int(n),
        Decimal(sales),
        delta_days,
        delta_ar,
        before,
        after,
        int(n_open),
        Decimal(open_amount),
    )


@dataclass(frozen=True)
class CollectEffect:
    """Effect of collecting the whole overdue amount of the top-n overdue customers."""

    customers: list[str]
    collected: Decimal
    ar_before: Decimal
    ar_after: Decimal
    overdue_before: Decimal
    overdue_after: Decimal
    overdue_share_before: float | None
    overdue_share_after: float | None
    dso_before: float | None
    dso_after: float | None


def collect_top_overdue(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    n: int = TOP_N,
    period_days: int = PERIOD_DAYS,
) -> CollectEffect:
    """What collecting the overdue amount of the ``n`` most overdue customers would do.

    Customers ranked by overdue amount at D (``sum(open_amount)`` with ``dpd > 0``, positive
    totals only), ties by customer id. ``collected`` = their overdue total; ``ar_after = AR_D -
    collected``; ``overdue_after = overdue_D - collected``; shares ``overdue / AR`` (None when
    AR <= 0); ``dso_after = ar_after / sales(D-P, D] * P`` (None when sales <= 0).
    Units: Decimal money, float days and ratios. Reference: kpi-spec sections 2 and 3.
    """
    sql = asof.compose(
        "whatif_top_overdue", open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False)
    )
    p = {**asof.params(dataset_id, as_of, filters), "top_n": int(n)}
    rows = con.execute(sql, p).fetchall()
    if len({r[1] for r in rows}) > 1:
        raise asof.MixedCurrencyError(sorted({r[1] for r in rows}))
    totals = aging.totals_by_currency(con, as_of, dataset_id=dataset_id, filters=filters)
    if len(totals) > 1:
        raise asof.MixedCurrencyError(sorted(totals))
    ar_value, not_due = next(iter(totals.values()), (Decimal("0.00"), Decimal("0.00")))
    collected = sum((r[2] for r in rows), Decimal("0.00"))
    overdue = ar_value - not_due
    period_sales = dso.sales(
        con, as_of - timedelta(days=period_days), as_of, dataset_id=dataset_id, filters=filters
    )

    def share(part: Decimal, whole: Decimal) -> float | None:
        return float(part / whole) if whole > 0 else None

    return CollectEffect(
        customers=[r[0] for r in rows],
        collected=collected,
        ar_before=ar_value,
        ar_after=ar_value - collected,
        overdue_before=overdue,
        overdue_after=overdue - collected,
        overdue_share_before=share(overdue, ar_value),
        overdue_share_after=share(overdue - collected, ar_value - collected),
        dso_before=dso.dso_ratio(ar_value, period_sales, period_days),
        dso_after=dso.dso_ratio(ar_value - collected, period_sales, period_days),
    )
