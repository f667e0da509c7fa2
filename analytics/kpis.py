"""The overview KPI set and the ``kpis --json`` object (kpi-spec section 10).

Each figure is defined by the function of its family (aging, dso, behaviour, concentration,
losses, legal_fr); this module gathers them, picks the currency and rounds for output.

On a connection that keeps derived rows (a workspace), the overview is computed from sums kept
once per date and settings (``sql/overview_grain.sql``): every additive quantity behind a figure
(open amounts per bucket, item counts, the sales of each DSO, CEI and countback window, the
settled invoices' weighted days, write-offs, doubtful amounts, provision bases, terms breaches)
per customer, segment, entity, country and currency. A filter on those columns then adds up a
few thousand rows instead of reading every item, and the same formulas finish the figures.
Why they cannot differ from each family's function: each sum is taken over the rows of that
function's own SQL (the same open items, settled invoices, write-off rows and provision bases),
sums of DECIMAL values are exact whatever their grouping, and the filters select whole rows of
the grain. A connection without derived rows (the one-shot ``kpis`` command, a plain DuckDB
connection) asks each family's function.

Beside the grain, two smaller tables are kept per date: the grain added up over customers as
(column name, value) rows, which serves every filter but the customer filter with one narrow
sum, and the customers ranked by outstanding within each currency, which serves the
concentration when the only filter is the currency. A warm overview is then a handful of small
queries, their lookups read once per request (``itemcache.scope``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import duckdb

from analytics import aging, asof, behaviour, concentration, dso, itemcache, legal_fr, losses
from analytics.config import NO_FILTERS, PROVISION_RATES, Filters, Settings, bucket_labels

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_CURRENCIES_SQL = (
    "SELECT currency, sum(open_amount) AS ar, count(*) FILTER (WHERE kind <> 'unapplied') AS n "
    "FROM ({items}) GROUP BY currency ORDER BY ar DESC, currency"
)

_COUNTS_SQL = (
    "SELECT count(*) FILTER (WHERE kind <> 'unapplied'), count(DISTINCT customer_id) FILTER "
    "(WHERE bal > 0) FROM (SELECT kind, customer_id, sum(open_amount) OVER "
    "(PARTITION BY customer_id) AS bal FROM ({items}))"
)


class UnknownCurrencyError(ValueError):
    """The currency asked for has no amount in the ledger (the message lists those it has)."""


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
        same = [n for n in names if n.casefold() == currency.casefold()]
        if names and not same:
            raise UnknownCurrencyError(
                f"no {currency} amounts in the ledger at {as_of}; it has {', '.join(names)}"
            )
        # "eur" asks for the ledger's EUR; an exact match wins where both spellings exist
        chosen = currency if currency in names or not same else same[0]
        return replace(filters, currency=(chosen,))
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
    with itemcache.scope():
        grain = _grain(con, dataset_id, as_of, s)
        breaches: int | None = None
        if grain is not None:
            out, breaches = _overview_from_grain(con, grain, as_of, dataset_id, filters, s)
        else:
            out = _overview_from_items(con, as_of, dataset_id, filters, s)
        kw = {"dataset_id": dataset_id, "filters": filters}
        out["legal"] = (
            legal_fr.legal_summary(con, as_of, breaches=breaches, **kw) if legal else None
        )
    return out


def _overview_from_items(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    s: Settings,
) -> dict[str, Any]:
    """The overview without the legal block, each figure from the function of its family."""
    kw = {"dataset_id": dataset_id, "filters": filters}
    p = s.period_days
    table = aging.aging(con, as_of, edges=s.bucket_edges, **kw)
    labels = bucket_labels(s.bucket_edges)
    if len(table) > 1:
        raise asof.MixedCurrencyError(sorted(table["currency"]))
    row = table.iloc[0].to_dict() if len(table) else {}
    documents, with_balance = con.execute(
        _COUNTS_SQL.format(items=itemcache.items_sql(con, dataset_id, as_of, settle=False)),
        asof.params(dataset_id, as_of, filters),
    ).fetchall()[0]
    return _assemble(
        as_of,
        s,
        currency=row.get("currency") if row else (filters.currency or (None,))[0],
        outstanding=row.get("total", ZERO) if row else ZERO,
        buckets=[
            (row.get(label, ZERO), int(row.get("count_" + label, 0))) if row else (ZERO, 0)
            for label in labels
        ],
        documents=int(documents or 0),
        with_balance=int(with_balance or 0),
        period_sales=dso.sales(con, as_of - timedelta(days=p), as_of, **kw),
        dso_average=dso.dso_average(con, as_of, period_days=p, **kw),
        countback=dso.dso_countback(con, as_of, **kw),
        cei=dso.cei(con, as_of, months=s.cei_months, **kw),
        payment=behaviour.payment_behaviour(con, as_of, **kw),
        concentration=concentration.concentration(con, as_of, n=s.top_n, **kw),
        write_off=losses.write_off_ratio_12m(con, as_of, **kw),
        doubtful=losses.doubtful_receivables(
            con, as_of, doubtful_after_days=s.doubtful_after_days, **kw
        ),
        provision=losses.provision_total(
            con, as_of, edges=s.bucket_edges, rates=s.provision_rates, vat_rate=s.vat_rate, **kw
        ),
    )


def _assemble(
    as_of: date,
    s: Settings,
    *,
    currency: str | None,
    outstanding: Decimal,
    buckets: list[tuple[Decimal, int]],
    documents: int,
    with_balance: int,
    period_sales: Decimal,
    dso_average: float | None,
    countback: dso.Countback,
    cei: float | None,
    payment: dict[str, Any],
    concentration: dict[str, Any],
    write_off: dict[str, Any],
    doubtful: dict[str, Any],
    provision: Decimal,
) -> dict[str, Any]:
    """The overview dict from its parts; ``buckets``: (amount, item count) per aging bucket."""
    p = s.period_days
    not_due = buckets[0][0]
    overdue = outstanding - not_due
    # dso_period, bpdso and add share AR_D, not_due_D and sales(D-P, D]: computed once here
    # with the same formula as dso.dso_period / dso.bpdso / dso.add.
    dso_period = dso.dso_ratio(outstanding, period_sales, p)
    best = dso.dso_ratio(not_due, period_sales, p)
    labels = bucket_labels(s.bucket_edges)
    return {
        "as_of": as_of,
        "currency": currency,
        "invoices": documents,
        "customers_with_balance": with_balance,
        "outstanding": outstanding,
        "not_due": not_due,
        "overdue": overdue,
        "overdue_share": (float(overdue / outstanding) if outstanding > 0 else None),
        "aging": [
            {"bucket": label, "amount": amount, "count": count}
            for label, (amount, count) in zip(labels, buckets, strict=True)
        ],
        "sales_period": period_sales,
        "period_days": p,
        "dso_period": dso_period,
        "dso_average": dso_average,
        "dso_countback": countback.value,
        "dso_countback_capped": countback.capped,
        "bpdso": best,
        "add": None if dso_period is None or best is None else dso_period - best,
        "cei": cei,
        "payment": payment,
        "concentration": concentration,
        "write_off": write_off,
        "doubtful": doubtful,
        "provision": provision,
    }


def _windows(as_of: date, s: Settings) -> list[tuple[date, date]]:
    """The sales windows of the overview: the DSO period, the CEI period, then the countback
    windows (most recent first)."""
    return [
        (as_of - timedelta(days=s.period_days), as_of),
        (dso.months_before(as_of, s.cei_months), as_of),
        *dso.countback_windows(as_of),
    ]


def _grain(con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: date, s: Settings) -> str | None:
    """The cached ingredients of the overview at D (``sql/overview_grain.sql``), or None when
    the connection keeps no derived rows (each figure is then computed on its own)."""
    edges = aging.normalise_edges(s.bucket_edges)
    conds, edge_binds = aging.bucket_conditions(edges, "dpd")
    windows = _windows(as_of, s)
    item_columns = [
        *(f"SUM(open_amount) FILTER (WHERE {c}) AS c{i}" for i, c in enumerate(conds)),
        *(f"COUNT(*) FILTER (WHERE open_amount <> 0 AND {c}) AS n{i}" for i, c in enumerate(conds)),
        *(
            f"SUM(amount) FILTER (WHERE kind <> 'unapplied' AND invoice_date > $w_start_{k} "
            f"AND invoice_date <= $w_end_{k}) AS s{k}"
            for k in range(len(windows))
        ),
    ]
    rows = [-1, *range(len(conds))]
    provision_columns = [
        *(f"SUM(base) FILTER (WHERE bucket = {b}) AS {_p(b)}" for b in rows),
        *(f"COUNT(*) FILTER (WHERE bucket = {b}) AS {_p(b, 'pn')}" for b in rows),
    ]
    sums = [f"SUM({c}) AS {c}" for c in _grain_columns(len(conds), len(windows))]
    index_sql, _ = aging.bucket_index_sql(edges, "dpd")
    vat_num, vat_den = losses.vat_fraction(s.vat_rate)
    window_start = as_of - timedelta(days=losses.WINDOW_DAYS)
    params: dict[str, Any] = {
        **asof.params(dataset_id, as_of),
        **edge_binds,
        "after_days": int(s.doubtful_after_days),
        "window_start": window_start,
        "vat_num": vat_num,
        "vat_den": vat_den,
    }
    for k, (start, end) in enumerate(windows):
        params[f"w_start_{k}"] = start
        params[f"w_end_{k}"] = end

    def build(items: str) -> str:
        return asof.compose(
            "overview_grain",
            open_items=items,
            settled=asof.compose("behaviour_settled", open_items=items) + _SETTLED_TAIL,
            write_off_rows=asof.compose("write_off_rows", open_items=items),
            terms_breaches=asof.compose("legal_terms", open_items=items) + _BREACHES_TAIL,
            provision_base=asof.compose("provision_base", open_items=items, bucket_index=index_sql),
            item_columns=",\n           ".join(item_columns),
            provision_columns=",\n           ".join(provision_columns),
            sums=",\n       ".join(sums),
        )

    key = "overview " + json.dumps(
        [
            list(edges),
            s.doubtful_after_days,
            str(s.vat_rate),
            s.period_days,
            s.cei_months,
            [[str(a), str(b)] for a, b in windows],
        ]
    )
    return itemcache.derived(con, dataset_id, as_of, key, build, params)


_SETTLED_TAIL = "\nSELECT * FROM settled"
_BREACHES_TAIL = "\nSELECT * FROM breaches"


def _p(bucket: int, prefix: str = "p") -> str:
    """Column of a provision row: ``p_doubtful`` for -1, else ``p<i>`` (``pn``: its items)."""
    return f"{prefix}_doubtful" if bucket < 0 else f"{prefix}{bucket}"


def _grain_kinds(buckets: int, windows: int) -> tuple[list[str], list[str], list[str]]:
    """The summed columns of ``sql/overview_grain.sql`` by kind: money, counts, and the
    weights that only the behaviour ratios read."""
    rows = [-1, *range(buckets)]
    money = [
        "total",
        *(f"c{i}" for i in range(buckets)),
        *(f"s{k}" for k in range(windows)),
        "d_flagged",
        "d_age",
        "b_amount",
        "wo_incl",
        "wo_excl",
        "wo_sales_incl",
        "wo_sales_excl",
        *(_p(b) for b in rows),
    ]
    counts = [
        "n",
        "docs",
        *(f"n{i}" for i in range(buckets)),
        "b_n",
        "wo_rows",
        "wo_nulls",
        "terms_breaches",
        *(_p(b, "pn") for b in rows),
    ]
    weights = ["b_to_pay", "b_weighted_late", "b_late", "b_on_time"]
    return money, counts, weights


def _grain_columns(buckets: int, windows: int) -> list[str]:
    """Every summed column of ``sql/overview_grain.sql``."""
    money, counts, weights = _grain_kinds(buckets, windows)
    return [*money, *counts, *weights]


def _summed_columns(as_of: date, s: Settings) -> list[str]:
    """:func:`_grain_columns` for the buckets and windows of ``s`` at ``as_of``."""
    return _grain_columns(len(bucket_labels(s.bucket_edges)), len(_windows(as_of, s)))


def _long(columns: list[str]) -> str:
    """The SELECT items that turn one row of the grain's ``columns`` into a row per column:
    ``k`` (its name) and ``v`` (its value as DECIMAL(38,2), exact for the counts too)."""
    names = ", ".join(f"'{c}'" for c in columns)
    values = ", ".join(f"CAST({c} AS DECIMAL(38,2))" for c in columns)
    return f"unnest([{names}]) AS k, unnest([{values}]) AS v"


def _rollup(
    con: duckdb.DuckDBPyConnection, grain: str, dataset_id: int, as_of: date, s: Settings
) -> str | None:
    """The grain table added up over customers, one row per summed column (``k``, ``v``) and
    segment, entity, country and currency (a few thousand narrow rows instead of one wide row
    per customer), kept beside it. It serves every filter but the customer filter;
    ``customer_id`` is NULL. Narrow rows because DuckDB plans a query of a hundred sums
    in about 15 ms, and adds up ``v`` by ``k`` in 2."""
    columns = _summed_columns(as_of, s)
    sums = ", ".join(f"SUM({c}) AS {c}" for c in columns)
    keys = "dataset_id, as_of, segment, entity, country, currency"
    build = (
        f"SELECT {keys}, CAST(NULL AS VARCHAR) AS customer_id, {_long(columns)} "
        f"FROM (SELECT {keys}, {sums} FROM {grain} GROUP BY {keys})"
    )
    return itemcache.derived(con, dataset_id, as_of, "rollup " + grain, lambda _: build, {})


def _grain_rows(grain: str) -> str:
    """The rows of the grain table that pass the filters (parameters of asof.params)."""
    return (
        f"SELECT * FROM {grain} WHERE dataset_id = $dataset_id "
        f"AND as_of = CAST($as_of AS DATE) AND {itemcache.FILTERS_SQL}"
    )


def _grain_sums(
    con: duckdb.DuckDBPyConnection,
    grain: str,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    s: Settings,
) -> dict[str, dict[str, Decimal | None]]:
    """Every summed column of the grain rows that pass the filters, per currency (None: no
    row had a value). Without a customer filter, from the grain added up over customers."""
    long = None if filters.customer_id else _rollup(con, grain, dataset_id, as_of, s)
    if long is None:
        rows = f"SELECT currency, {_long(_summed_columns(as_of, s))} FROM ({_grain_rows(grain)})"
    else:
        rows = _grain_rows(long)
    sql = f"SELECT currency, k, SUM(v) FROM ({rows}) GROUP BY currency, k"
    found: dict[str, dict[str, Decimal | None]] = {}
    for currency, k, v in con.execute(sql, asof.params(dataset_id, as_of, filters)).fetchall():
        found.setdefault(currency, {})[k] = v
    return found


def _customer_balances(grain: str) -> str:
    """The grain's rows that pass the filters as the open items of
    ``sql/concentration_ranked.sql``: one item per row, its total as the open amount."""
    return (
        "SELECT customer_id, customer_name, currency, total AS open_amount, "
        "CAST(NULL AS INTEGER) AS dpd, 'item' AS kind, CAST(NULL AS DATE) AS invoice_date, "
        f"CAST(NULL AS DECIMAL(18,2)) AS amount FROM ({_grain_rows(grain)})"
    )


#: ``sql/concentration_summary.sql`` over the kept ranking of the customers, for one currency.
_RANKED_SUMMARY = (
    "WITH ranked AS (SELECT * FROM {table} WHERE len(CAST($f_currency AS VARCHAR[])) = 0 "
    "OR list_contains(CAST($f_currency AS VARCHAR[]), currency))\n{summary}"
)


def _concentration(
    con: duckdb.DuckDBPyConnection,
    grain: str,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    top_n: int,
) -> dict[str, Any]:
    """The concentration on outstanding (``concentration.concentration``) from the grain.

    Filtered on the currency alone (the book's overview), the customers are ranked once per
    date and the ranking is kept beside the grain: ``sql/concentration_ranked.sql`` ranks
    within each currency, so a currency filter selects whole rankings. Any other filter
    changes the balances, and the customers are ranked again."""
    summary = asof.load_sql("concentration_summary")
    only_currency = replace(filters, currency=()).is_empty()
    base = concentration.params(dataset_id, as_of, NO_FILTERS, "outstanding")
    build = concentration.ranked_sql(_customer_balances(grain), _RANKED_TAIL)
    ranking = (
        itemcache.derived(con, dataset_id, as_of, "ranked " + grain, lambda _: build, base)
        if only_currency
        else None
    )
    if ranking is not None:
        sql = _RANKED_SUMMARY.format(table=ranking, summary=summary)
        params: dict[str, Any] = {"f_currency": list(filters.currency), "top_n": top_n}
    else:
        sql = concentration.ranked_sql(_customer_balances(grain), summary)
        params = concentration.params(dataset_id, as_of, filters, "outstanding", top_n=top_n)
    rows = con.execute(sql, params).fetchall()
    return concentration.summary_result(rows, "outstanding", top_n)


_RANKED_TAIL = "SELECT * FROM ranked"


def _quotient(num: Decimal | None, den: Decimal | None) -> float | None:
    """``CAST(num AS DOUBLE) / NULLIF(CAST(den AS DOUBLE), 0)`` as the SQL of the behaviour
    ratios computes it (both exact below 2^53 cents: a float of an exact decimal is correctly
    rounded either way)."""
    if num is None or den is None or float(den) == 0:
        return None
    return float(num) / float(den)


def _overview_from_grain(
    con: duckdb.DuckDBPyConnection,
    grain: str,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    s: Settings,
) -> tuple[dict[str, Any], int]:
    """The overview without the legal block, from the rows of the grain table that pass the
    filters: the same sums as each family's query, added up per currency; and the number of
    invoices whose terms breach the legal maximum (``legal_fr.terms_breach_count``)."""
    labels = bucket_labels(s.bucket_edges)
    n_buckets = len(labels)
    windows = _windows(as_of, s)
    prov_rows = [-1, *range(n_buckets)]
    money = set(_grain_kinds(n_buckets, len(windows))[0])
    found = _grain_sums(con, grain, as_of, dataset_id, filters, s)
    if len(found) > 1:
        raise asof.MixedCurrencyError(sorted(found))
    currency, sums = next(iter(found.items())) if found else (None, {})
    currency = currency if found else (filters.currency or (None,))[0]

    def get(column: str) -> Any:
        value = sums.get(column)
        if column in money:
            return ZERO if value is None else value
        return 0 if value is None else int(value)

    outstanding = get("total")
    sales = [get(f"s{k}") for k in range(len(windows))]
    conc = _concentration(con, grain, as_of, dataset_id, filters, s.top_n)
    kw = {"dataset_id": dataset_id, "filters": filters}
    p = s.period_days
    ar_period_start = dso.ar_at(con, windows[0][0], **kw)
    ar_cei_start = dso.ar_at(con, windows[1][0], **kw)
    excl_tax = get("wo_nulls") == 0
    wo, wo_sales = (
        (get("wo_excl"), get("wo_sales_excl"))
        if excl_tax
        else (get("wo_incl"), get("wo_sales_incl"))
    )
    flagged, age_based = get("d_flagged"), get("d_age")
    by_bucket = {b: (get(_p(b)), int(get(_p(b, "pn")))) for b in prov_rows if get(_p(b, "pn"))}
    rates = dict(PROVISION_RATES if s.provision_rates is None else s.provision_rates)
    out = _assemble(
        as_of,
        s,
        currency=currency,
        outstanding=outstanding,
        buckets=[(get(f"c{i}"), int(get(f"n{i}"))) for i in range(n_buckets)],
        documents=int(get("docs")),
        with_balance=conc["customers"],
        period_sales=sales[0],
        dso_average=dso.dso_ratio((ar_period_start + outstanding) / 2, sales[0], p),
        countback=dso.countback(outstanding, windows[2:], sales[2:]),
        cei=dso.cei_value(ar_cei_start, sales[1], s.cei_months, outstanding, get("c0")),
        payment={
            "invoices": int(get("b_n")),
            "amount": get("b_amount"),
            # the ratios of sql/behaviour_summary.sql
            "avg_days_to_pay": _quotient(sums.get("b_to_pay"), sums.get("b_amount")),
            "weighted_days_late": _quotient(sums.get("b_weighted_late"), sums.get("b_amount")),
            "avg_days_late": _quotient(sums.get("b_late"), sums.get("b_n")),
            "on_time_rate": _quotient(sums.get("b_on_time"), sums.get("b_n")),
        },
        concentration=conc,
        write_off=losses.write_off_result(
            (
                currency,
                "excl_tax" if excl_tax else "incl_tax",
                wo,
                wo_sales,
                float(wo) / float(wo_sales) if wo_sales > 0 else None,
            )
            if get("wo_rows")
            else None
        ),
        doubtful=losses.doubtful_result(
            (
                currency,
                flagged,
                age_based,
                flagged + age_based,
                outstanding,
                float(flagged + age_based) / float(outstanding) if outstanding > 0 else None,
            )
            if found
            else None
        ),
        provision=losses.provision_result(by_bucket, s.bucket_edges, rates, currency)["total"],
    )
    return out, int(get("terms_breaches"))


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

    cur = f" ({fig['currency']})" if fig["currency"] else ""
    lines = [
        f"Receivables as of {fig['as_of']}{cur}",
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
