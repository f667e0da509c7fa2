"""The overview KPI set and the ``kpis --json`` object (kpi-spec section 10).

Each figure comes from the function of its family (aging, dso, behaviour, concentration, losses,
legal_fr); this module only gathers them, picks the currency and rounds for output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import duckdb

from analytics import aging, asof, behaviour, concentration, dso, itemcache, legal_fr, losses
from analytics.config import NO_FILTERS, Filters, Settings, bucket_labels

CENT = Decimal("0.01")

_CURRENCIES_SQL = (
    "SELECT currency, sum(open_amount) AS ar, count(*) FILTER (WHERE kind <> 'unapplied') AS n "
    "FROM ({items}) GROUP BY currency ORDER BY ar DESC, currency"
)

_COUNTS_SQL = (
    "SELECT count(*) FILTER (WHERE kind <> 'unapplied'), count(DISTINCT customer_id) FILTER "
    "(WHERE bal > 0) FROM (SELECT kind, customer_id, sum(open_amount) OVER "
    "(PARTITION BY customer_id) AS bal FROM ({items}))"
)


def currencies(
    con: duckdb.DuckDBPyConnection, as_of: date, *, dataset_id: int, filters: Filters = NO_FILTERS
) -> list[tuple[str, Decimal, int]]:
    """(currency, outstanding, documents) of the book at D, largest outstanding first."""
    return [
        (c, ar, int(n))
        for c, ar, n in con.execute(
            _CURRENCIES_SQL.format(items=itemcache.items_sql(con, dataset_id, as_of, settle=False)),
            asof.params(dataset_id, as_of, filters),
        ).fetchall()
    ]


def choose_currency(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    currency: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> Filters:
    """The filters restricted to one currency: the one asked for, else the largest book.

    Amounts in different currencies are never summed: with several currencies and none
    asked for, the currency with the largest outstanding is reported and ``warn`` is told
    which others exist.
    """
    found = currencies(con, as_of, dataset_id=dataset_id, filters=filters)
    names = [c for c, _, _ in found]
    if currency is not None:
        if names and currency not in names:
            raise ValueError(
                f"no {currency} amounts in the ledger at {as_of}; it has {', '.join(names)}"
            )
        return replace(filters, currency=(currency,))
    if len(names) > 1 and not filters.currency:
        if warn is not None:
            warn(
                f"figures in {names[0]} (largest outstanding); the ledger also has "
                f"{', '.join(names[1:])}: use --currency to report another"
            )
        return replace(filters, currency=(names[0],))
    return filters


def overview(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings | None = None,
    legal: bool = True,
) -> dict[str, Any]:
    """Every overview figure as of D for one currency (Decimal money, float days/ratios).

    ``legal=False`` leaves out the French late-payment block (``"legal": None``): the KPI set
    of kpi-spec sections 1 to 6 alone, as the benchmark times it apart.
    """
    s = settings or Settings()
    kw = {"dataset_id": dataset_id, "filters": filters}
    p = s.period_days
    table = aging.aging(con, as_of, edges=s.bucket_edges, **kw)
    labels = bucket_labels(s.bucket_edges)
    zero = Decimal("0.00")
    if table.empty:
        row: dict[str, Any] = {}
        currency = filters.currency[0] if filters.currency else None
    else:
        if len(table) > 1:
            raise asof.MixedCurrencyError(sorted(table["currency"]))
        row = table.iloc[0].to_dict()
        currency = row.get("currency")
    buckets = [
        {
            "bucket": label,
            "amount": row.get(label, zero) if row else zero,
            "count": int(row.get("count_" + label, 0)) if row else 0,
        }
        for label in labels
    ]
    outstanding = row.get("total", zero) if row else zero
    not_due = buckets[0]["amount"]
    overdue = outstanding - not_due
    documents, with_balance = con.execute(
        _COUNTS_SQL.format(items=itemcache.items_sql(con, dataset_id, as_of, settle=False)),
        asof.params(dataset_id, as_of, filters),
    ).fetchall()[0]
    period_sales = dso.sales(con, as_of - timedelta(days=p), as_of, **kw)
    # dso_period, bpdso and add share AR_D, not_due_D and sales(D-P, D]: computed once here
    # with the same formula as dso.dso_period / dso.bpdso / dso.add.
    dso_period = dso.dso_ratio(outstanding, period_sales, p)
    best = dso.dso_ratio(not_due, period_sales, p)
    cb = dso.dso_countback(con, as_of, **kw)
    conc = concentration.concentration(con, as_of, n=s.top_n, **kw)
    woff = losses.write_off_ratio_12m(con, as_of, **kw)
    doubt = losses.doubtful_receivables(con, as_of, doubtful_after_days=s.doubtful_after_days, **kw)
    provision = losses.provision_total(
        con, as_of, edges=s.bucket_edges, rates=s.provision_rates, vat_rate=s.vat_rate, **kw
    )
    return {
        "as_of": as_of,
        "currency": currency,
        "invoices": int(documents or 0),
        "customers_with_balance": int(with_balance or 0),
        "outstanding": outstanding,
        "not_due": not_due,
        "overdue": overdue,
        "overdue_share": (float(overdue / outstanding) if outstanding > 0 else None),
        "aging": buckets,
        "sales_period": period_sales,
        "period_days": p,
        "dso_period": dso_period,
        "dso_average": dso.dso_average(con, as_of, period_days=p, **kw),
        "dso_countback": cb.value,
        "dso_countback_capped": cb.capped,
        "bpdso": best,
        "add": None if dso_period is None or best is None else dso_period - best,
        "cei": dso.cei(con, as_of, months=s.cei_months, **kw),
        "payment": behaviour.payment_behaviour(con, as_of, **kw),
        "concentration": conc,
        "write_off": woff,
        "doubtful": doubt,
        "provision": provision,
        "legal": legal_fr.legal_summary(con, as_of, **kw) if legal else None,
    }


def _money(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN))


def _days(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def overview_json(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    as_of: date,
    *,
    rows: dict[str, int],
    period_days: int | None = None,
    currency: str | None = None,
    filters: Filters = NO_FILTERS,
    warn: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The JSON object of kpi-spec section 10: stable keys, amounts rounded to the cent."""
    settings = Settings(period_days=period_days) if period_days else Settings()
    filters = choose_currency(
        con, as_of, dataset_id=dataset_id, filters=filters, currency=currency, warn=warn
    )
    o = overview(con, as_of, dataset_id=dataset_id, filters=filters, settings=settings)
    pay, conc, legal = o["payment"], o["concentration"], o["legal"]
    return {
        "as_of": as_of.isoformat(),
        "currency": o["currency"],
        "rows": {"read": rows["read"], "loaded": rows["loaded"], "rejected": rows["rejected"]},
        "invoices": o["invoices"],
        "customers_with_balance": o["customers_with_balance"],
        "outstanding": _money(o["outstanding"]),
        "not_due": _money(o["not_due"]),
        "overdue": _money(o["overdue"]),
        "overdue_share": _ratio(o["overdue_share"]),
        "aging": [
            {"bucket": b["bucket"], "amount": _money(b["amount"]), "count": b["count"]}
            for b in o["aging"]
        ],
        "sales_period": _money(o["sales_period"]),
        "period_days": o["period_days"],
        "dso_period": _days(o["dso_period"]),
        "dso_average": _days(o["dso_average"]),
        "dso_countback": _days(o["dso_countback"]),
        "bpdso": _days(o["bpdso"]),
        "add": _days(o["add"]),
        "cei": _days(o["cei"]),
        "payment": {
            "avg_days_to_pay": _days(pay["avg_days_to_pay"]),
            "weighted_days_late": _days(pay["weighted_days_late"]),
            "avg_days_late": _days(pay["avg_days_late"]),
            "on_time_rate": _ratio(pay["on_time_rate"]),
        },
        "concentration": {
            "top10_share": _ratio(conc["top_n_share"]),
            "hhi": _days(conc["hhi"]),
            "effective_customers": _days(conc["effective_customers"]),
            "gini": _ratio(conc["gini"]),
            "customers_for_80pct": conc["customers_for_80pct"],
        },
        "losses": {
            "write_off_ratio_12m": _ratio(o["write_off"]["ratio"]),
            "doubtful": _money(o["doubtful"]["total"]),
            "doubtful_share": _ratio(o["doubtful"]["doubtful_share"]),
            "provision": _money(o["provision"]),
        },
        "legal": {
            "late_invoices": legal["late_invoices"],
            "penalties": _money(legal["penalties"]),
            "indemnities": _money(legal["indemnities"]),
            "terms_breaches": legal["terms_breaches"],
        },
    }


def format_text(fig: dict[str, Any]) -> str:
    """A short human-readable summary of :func:`overview_json`'s object."""

    def show(v: Any, unit: str = "") -> str:
        return "n/a" if v is None else f"{v:,.2f}{unit}"

    cur = fig["currency"] or ""
    lines = [
        f"Receivables as of {fig['as_of']} ({cur})",
        f"  outstanding       {show(fig['outstanding'])}",
        f"  not due           {show(fig['not_due'])}",
        f"  overdue           {show(fig['overdue'])}",
    ]
    for b in fig["aging"][1:]:
        lines.append(f"    {b['bucket']:<15} {show(b['amount'])}  ({b['count']} items)")
    lines += [
        f"  DSO period        {show(fig['dso_period'], ' days')}",
        f"  DSO countback     {show(fig['dso_countback'], ' days')}",
        f"  best possible DSO {show(fig['bpdso'], ' days')}",
        f"  days delinquent   {show(fig['add'], ' days')}",
        f"  CEI               {show(fig['cei'], ' %')}",
        f"  top-10 share      {show(None if fig['concentration']['top10_share'] is None else 100 * fig['concentration']['top10_share'], ' %')}",
    ]
    return "\n".join(lines)
