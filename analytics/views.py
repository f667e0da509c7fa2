"""The page-facing facade: one function per page section, plain frames and dicts out.

Each function calls the KPI modules (aging, dso, history, concentration, losses) and shapes
their results for a page, a chart builder or an export; no formula is re-implemented here.
Functions that depend on time take an explicit ``as_of``; money stays ``Decimal``; an undefined
figure stays None. Every function takes ``(con, as_of, *, dataset_id, filters, settings)`` so
that the UI can cache it on exactly those arguments.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from analytics import aging, asof, concentration, dso, history, itemcache, losses, schema
from analytics.config import NO_FILTERS, PROVISION_RATES, Filters, Settings, bucket_labels

ZERO = Decimal("0.00")
DEFAULT_SETTINGS = Settings()

#: Columns of the open-invoice drill-down, in display order.
INVOICE_COLUMNS = [
    "invoice_id",
    "customer_id",
    "customer_name",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
    "dpd",
    "currency",
    "disputed",
    "doubtful",
    "kind",
]

#: The ``bucket`` of :func:`open_invoices` that stands for every overdue bucket.
OVERDUE = "overdue"
#: The destinations of the roll-rate matrix besides the buckets (``history.roll_rates``).
ROLL_PAID, ROLL_WRITTEN_OFF = "paid", "written_off"

#: The tiles of the overview, in display order, with the kind of value they hold.
TILES: tuple[tuple[str, str], ...] = (
    ("outstanding", "money"),
    ("overdue_share", "share"),
    ("dso", "days"),
    ("bpdso", "days"),
    ("add", "days"),
    ("cei", "percent"),
    ("write_off_ratio", "share"),
    ("top_share", "share"),
)


# -- settings --------------------------------------------------------------------------------
def settings_to_json(settings: Settings) -> str:
    """A Settings as JSON text (Decimals as strings), stable for a given value."""
    data = asdict(settings)
    data["provision_rates"] = {k: str(v) for k, v in settings.provision_rates.items()}
    data["vat_rate"] = str(settings.vat_rate)
    data["net_margin_rate"] = str(settings.net_margin_rate)
    data["bucket_edges"] = list(settings.bucket_edges)
    return json.dumps(data, sort_keys=True)


def settings_from_json(text: str) -> Settings:
    """Inverse of :func:`settings_to_json`."""
    data = json.loads(text)
    return Settings(
        bucket_edges=tuple(int(e) for e in data["bucket_edges"]),
        period_days=int(data["period_days"]),
        cei_months=int(data["cei_months"]),
        top_n=int(data["top_n"]),
        doubtful_after_days=int(data["doubtful_after_days"]),
        provision_rates={k: Decimal(v) for k, v in data["provision_rates"].items()},
        vat_rate=Decimal(data["vat_rate"]),
        net_margin_rate=Decimal(data["net_margin_rate"]),
    )


def parse_edges(text: str) -> tuple[int, ...]:
    """Bucket edges typed by the user (``"30, 60, 90"``), sorted; ValueError when invalid."""
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        edges = tuple(sorted({int(p.strip()) for p in parts}))
    except ValueError:
        raise ValueError("bucket edges must be whole numbers of days") from None
    bucket_labels(edges)
    return edges


def provision_rates_for(
    edges: tuple[int, ...], rates: dict[str, Decimal] | None = None
) -> dict[str, Decimal]:
    """A rate for every bucket of ``edges`` plus ``doubtful``.

    Labels found in ``rates`` keep their rate; a new label takes the default rate
    (``config.PROVISION_RATES``) of the default bucket holding its first day past due.
    """
    rates = dict(rates or {})
    defaults = dict(PROVISION_RATES)
    default_labels = bucket_labels(tuple(DEFAULT_SETTINGS.bucket_edges))
    default_edges = tuple(sorted(DEFAULT_SETTINGS.bucket_edges))
    out: dict[str, Decimal] = {}
    for label in [*bucket_labels(tuple(edges)), "doubtful"]:
        if label in rates:
            out[label] = Decimal(rates[label])
            continue
        if label in defaults:
            out[label] = defaults[label]
            continue
        first_day = int(label[1:]) + 1 if label.startswith(">") else int(label.split("-")[0])
        index = next((i for i, e in enumerate(default_edges) if first_day <= e), None)
        fallback = default_labels[-1] if index is None else default_labels[index + 1]
        out[label] = defaults[fallback]
    return out


def _rates(settings: Settings) -> dict[str, Decimal]:
    return provision_rates_for(tuple(settings.bucket_edges), settings.provision_rates)


# -- dataset-level facts ---------------------------------------------------------------------
def data_end(con: duckdb.DuckDBPyConnection, dataset_id: int) -> date | None:
    """The last date of the dataset: the latest invoice, payment or write-off date."""
    inv, pay, wo = schema.INVOICES, schema.PAYMENTS, schema.WRITE_OFFS
    parts = [
        "SELECT MAX(invoice_date) AS d FROM " + inv.name + " WHERE dataset_id = $dataset_id",
        "SELECT MAX(payment_date) AS d FROM " + pay.name + " WHERE dataset_id = $dataset_id",
        "SELECT MAX(write_off_date) AS d FROM " + wo.name + " WHERE dataset_id = $dataset_id",
    ]
    sql = "SELECT MAX(d) FROM (" + " UNION ALL ".join(parts) + ") AS x"
    row = con.execute(sql, {"dataset_id": int(dataset_id)}).fetchone()
    return row[0] if row else None


def data_start(con: duckdb.DuckDBPyConnection, dataset_id: int) -> date | None:
    """The first invoice date of the dataset."""
    sql = "SELECT MIN(invoice_date) FROM " + schema.INVOICES.name + " WHERE dataset_id = ?"
    row = con.execute(sql, [int(dataset_id)]).fetchone()
    return row[0] if row else None


def default_as_of(con: duckdb.DuckDBPyConnection, dataset_id: int) -> date | None:
    """The default as-of date: the last month end of the data (never today's date).

    The last day of the data's last month when the data ends on that day, else the last day
    of the month before; when that month end is before the first invoice (every invoice is
    in the data's last month), the last date of the data, so that the dashboard does not
    open on an empty book. None for a dataset without any date.
    """
    end = data_end(con, dataset_id)
    if end is None:
        return None
    month_end = dso.last_month_end(end)
    start = data_start(con, dataset_id)
    return end if start is not None and month_end < start else month_end


def filter_options(con: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, list[str]]:
    """Distinct values of each filter field: segment, entity, country, currency.

    Currencies come most used first (invoices without a currency count as EUR, as in the open
    items); the other lists are sorted. Segment and country are the invoice's or the
    customer's.
    """
    inv, cust = schema.INVOICES.name, schema.CUSTOMERS.name
    out: dict[str, list[str]] = {}
    for field in ("segment", "entity", "country"):
        parts = [
            "SELECT " + field + " AS v FROM " + inv + " WHERE dataset_id = $dataset_id",
        ]
        if field in schema.CUSTOMERS.names:
            parts.append(
                "SELECT " + field + " AS v FROM " + cust + " WHERE dataset_id = $dataset_id"
            )
        sql = (
            "SELECT DISTINCT v FROM (" + " UNION ALL ".join(parts) + ") AS x "
            "WHERE v IS NOT NULL ORDER BY v"
        )
        out[field] = [r[0] for r in con.execute(sql, {"dataset_id": int(dataset_id)}).fetchall()]
    sql = (
        "SELECT COALESCE(currency, 'EUR') AS c, COUNT(*) AS n FROM " + inv + " "
        "WHERE dataset_id = $dataset_id GROUP BY c ORDER BY n DESC, c"
    )
    out["currency"] = [r[0] for r in con.execute(sql, {"dataset_id": int(dataset_id)}).fetchall()]
    return out


# -- overview --------------------------------------------------------------------------------
def _tile_values(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    settings: Settings,
) -> dict[str, Any]:
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters}
    p = settings.period_days
    total, nd = aging.ar_and_not_due(con, as_of, **kw)
    period_sales = dso.sales(con, as_of - timedelta(days=p), as_of, **kw)
    period = dso.dso_ratio(total, period_sales, p)
    best = dso.dso_ratio(nd, period_sales, p)
    conc = concentration.concentration(con, as_of, n=settings.top_n, **kw)
    cei_begin = dso.months_before(as_of, settings.cei_months)
    ar_begin = asof.single_currency_total(
        sorted(aging.ar_by_currency(con, cei_begin, **kw).items())
    )
    cei_sales = dso.sales(con, cei_begin, as_of, **kw)
    return {
        "outstanding": total,
        "not_due": nd,
        "overdue": total - nd,
        "overdue_share": None if total <= 0 else float((total - nd) / total),
        "sales_period": period_sales,
        "dso": period,
        "bpdso": best,
        "add": None if period is None or best is None else period - best,
        "cei": dso.cei_value(ar_begin, cei_sales, settings.cei_months, total, nd),
        "write_off_ratio": losses.write_off_ratio_12m(con, as_of, **kw)["ratio"],
        "top_share": conc["top_n_share"],
    }


def overview_tiles(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """The overview tiles at ``as_of`` and one month earlier, with the month-over-month change.

    ``previous_date = dso.months_before(as_of, 1)``. Returns ``{as_of, previous_date, tiles:
    [{key, kind, value, previous, delta}], current, previous}`` where ``delta = value -
    previous`` (None when either is None); kinds: money (Decimal), share (fraction), days,
    percent (CEI). ``dso`` is the period DSO (``settings.period_days``), ``cei`` over
    ``settings.cei_months`` months, ``top_share`` over ``settings.top_n`` customers.
    The balances at D are read once and shared by the tiles: ``overdue_share`` is
    ``aging.overdue_share``'s ``(AR_D - not_due_D) / AR_D`` (None when AR_D <= 0) and ``cei``
    is ``dso.cei`` evaluated with ``dso.cei_value``.
    """
    previous_date = dso.months_before(as_of, 1)
    now = _tile_values(con, as_of, dataset_id, filters, settings)
    before = _tile_values(con, previous_date, dataset_id, filters, settings)
    tiles = []
    for key, kind in TILES:
        value, prev = now[key], before[key]
        delta = None if value is None or prev is None else value - prev
        tiles.append({"key": key, "kind": kind, "value": value, "previous": prev, "delta": delta})
    return {
        "as_of": as_of,
        "previous_date": previous_date,
        "tiles": tiles,
        "current": now,
        "previous": before,
        "currency": _currency(filters),
    }


def _currency(filters: Filters) -> str | None:
    return filters.currency[0] if len(filters.currency) == 1 else None


def ar_at_dates(
    con: duckdb.DuckDBPyConnection,
    dates: list[date],
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> dict[tuple[date, str], Decimal]:
    """``{(date, currency): AR}`` at every date of ``dates``, in one query; a currency
    without an item at a date may be missing (its AR there is 0).

    With filters on customer and currency only, the AR is read straight from the ledger
    (``sql/ar_direct_dates.sql``: what counts at each date, as the open items add up, without
    allocating anything); other filters select items by their own attributes and go through
    the open items at every date.
    """
    if not (filters.segment or filters.entity or filters.country):
        binds = {
            "dataset_id": int(dataset_id),
            "dates": sorted(set(dates)),
            "f_customer": [str(v) for v in filters.customer_id],
            "f_currency": [str(v) for v in filters.currency],
        }
        if not binds["dates"]:
            return {}
        found = con.execute(asof.load_sql("ar_direct_dates"), binds).fetchall()
        return {(r[0], r[1]): r[2] for r in found}
    sql = (
        "SELECT as_of, currency, CAST(COALESCE(SUM(open_amount), 0) AS DECIMAL(18,2)) "
        "FROM (" + asof.open_items_history_sql() + ") AS oi GROUP BY as_of, currency"
    )
    rows = con.execute(sql, asof.history_params(dataset_id, dates, filters)).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def dso_history(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Month-end history (``history.history``) plus the average-balance DSO of each month end.

    ``dso_average = ((AR_{M-P} + AR_M) / 2) / sales(M-P, M] * P`` (kpi-spec section 3, the
    formula of ``dso.dso_average``, evaluated with ``dso.dso_ratio`` for all month ends at
    once). One row per month end and currency, oldest first.
    """
    frame = history.history(
        con,
        as_of,
        dataset_id=dataset_id,
        filters=filters,
        edges=tuple(settings.bucket_edges),
        period_days=settings.period_days,
    )
    if frame.empty:
        frame["dso_average"] = pd.Series(dtype=object)
        return frame
    p = settings.period_days
    starts = [m - timedelta(days=p) for m in frame["month_end"].drop_duplicates()]
    begin = ar_at_dates(con, starts, dataset_id=dataset_id, filters=filters)
    frame["dso_average"] = [
        dso.dso_ratio(
            (begin.get((m - timedelta(days=p), c), ZERO) + ar) / 2,
            s,
            p,
        )
        for m, c, ar, s in zip(
            frame["month_end"], frame["currency"], frame["ar"], frame["sales_period"], strict=True
        )
    ]
    return frame


def cash_released_to_target(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    target_dso: float,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """Cash released if the period DSO fell to ``target_dso`` days.

    ``reduction = dso_period - target`` days; ``cash = dso.cash_released(reduction)``
    (``reduction * sales(D-P, D] / P``). ``cash`` is None when the DSO is undefined or already
    at or below the target.
    """
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters}
    current = dso.dso_period(con, as_of, period_days=settings.period_days, **kw)
    if current is None or current <= target_dso:
        return {"dso": current, "target": target_dso, "reduction": None, "cash": None}
    reduction = current - float(target_dso)
    cash = dso.cash_released(reduction, con, as_of, period_days=settings.period_days, **kw)
    return {"dso": current, "target": target_dso, "reduction": reduction, "cash": cash}


def aged_balance(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Aged balance per customer: customer_id, customer_name, currency, not_due, one column
    per overdue bucket, total, overdue (``total - not_due``) and count.

    Customers whose items are all settled (total 0 and nothing in any bucket) are left out.
    Sorted by total, largest first. See ``aging.aging(by="customer")`` for the formulas.
    """
    edges = tuple(settings.bucket_edges)
    labels = bucket_labels(edges)
    frame = aging.aging(
        con, as_of, dataset_id=dataset_id, filters=filters, edges=edges, by="customer"
    )
    columns = ["customer_id", "customer_name", "currency", *labels, "total", "overdue", "count"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["overdue"] = frame["total"] - frame["not_due"]
    nonzero = frame[labels].ne(ZERO).any(axis=1)
    frame = frame.loc[nonzero, columns]
    frame = frame.sort_values(["total", "customer_id"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def aged_totals(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """The book-level aged balance (``aging.aging`` without grouping), one currency.

    Returns ``{currency, not_due, <bucket>..., total, overdue, count}``, amounts Decimal; an
    empty book gives 0.00 everywhere. Raises MixedCurrencyError over several currencies.
    """
    edges = tuple(settings.bucket_edges)
    labels = bucket_labels(edges)
    frame = aging.aging(con, as_of, dataset_id=dataset_id, filters=filters, edges=edges)
    if len(frame) > 1:
        raise asof.MixedCurrencyError(sorted(frame["currency"]))
    if frame.empty:
        out: dict[str, Any] = {label: ZERO for label in labels}
        out.update(currency=_currency(filters), total=ZERO, overdue=ZERO, count=0)
        return out
    row = frame.iloc[0]
    out = {label: row[label] for label in labels}
    out.update(
        currency=row["currency"],
        total=row["total"],
        overdue=row["total"] - row["not_due"],
        count=int(row["count"]),
    )
    return out


def top_overdue_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    n: int = 10,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """The ``n`` customers with the largest overdue amount (``total - not_due`` > 0).

    Columns: customer_id, customer_name, currency, each bucket, total, overdue, count and
    ``overdue_share`` = the customer's overdue / the book's overdue (``AR_D - not_due_D``,
    the sum of every customer's overdue), None when the book's overdue is not positive.
    Ties by customer id.
    """
    frame = aged_balance(con, as_of, dataset_id=dataset_id, filters=filters, settings=settings)
    book_overdue = sum(frame["overdue"], ZERO)
    frame = frame[frame["overdue"] > ZERO].copy()
    frame["overdue_share"] = [
        float(v / book_overdue) if book_overdue > 0 else None for v in frame["overdue"]
    ]
    frame = frame.sort_values(["overdue", "customer_id"], ascending=[False, True], kind="stable")
    return frame.head(n).reset_index(drop=True)


def open_invoices(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str | None = None,
    bucket: str | None = None,
) -> pd.DataFrame:
    """The open items behind a figure: items with a non-zero open amount at ``as_of``.

    ``customer_id`` narrows to one customer; ``bucket`` (a label of ``config.bucket_labels``)
    to one aging bucket by days past due, or :data:`OVERDUE` to every overdue bucket
    (``dpd > 0``: the items behind ``AR_D - not_due_D``). Columns: ``INVOICE_COLUMNS``; sorted
    by days past due, oldest first. Unapplied cash rows have no invoice id.
    """
    edges = tuple(settings.bucket_edges)
    if customer_id is not None:
        filters = Filters(
            segment=filters.segment,
            entity=filters.entity,
            country=filters.country,
            customer_id=(str(customer_id),),
            currency=filters.currency,
        )
    where = "open_amount <> 0"
    binds: dict[str, Any] = {}
    if bucket == OVERDUE:
        where += " AND dpd > 0"
    elif bucket is not None:
        labels = bucket_labels(edges)
        if bucket not in labels:
            raise ValueError(f"unknown bucket {bucket!r}; expected one of {labels}")
        conds, edge_binds = aging.bucket_conditions(edges, "dpd")
        cond = conds[labels.index(bucket)]
        used = set(re.findall(r"\$(edge_\d+)\b", cond))
        binds = {k: v for k, v in edge_binds.items() if k in used}
        where += " AND " + cond
    sql = (
        "SELECT "
        + ", ".join(INVOICE_COLUMNS)
        + " FROM ("
        + itemcache.items_sql(con, dataset_id, as_of, settle=False)
        + ") AS oi WHERE "
        + where
        + " ORDER BY dpd DESC NULLS LAST, customer_id, invoice_id"
    )
    return asof.query_frame(con, sql, {**asof.params(dataset_id, as_of, filters), **binds})


def roll_rate_matrix(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Roll rates of the last month (``history.roll_rates`` with one month end), as a matrix.

    Rows: the bucket at the previous month end (``from_bucket``), with ``from_amount``;
    columns: ``paid``, ``written_off`` and each bucket label, holding shares (fractions of
    ``from_amount``; None when it is not positive). One currency.
    """
    edges = tuple(settings.bucket_edges)
    labels = bucket_labels(edges)
    long = history.roll_rates(
        con, as_of, dataset_id=dataset_id, filters=filters, months=1, edges=edges
    )
    targets = ["paid", "written_off", *labels]
    if long.empty:
        return pd.DataFrame(columns=["from_bucket", "from_amount", *targets])
    currencies = sorted(set(long["currency"]))
    if len(currencies) > 1:
        raise asof.MixedCurrencyError(currencies)
    wide = long.pivot_table(
        index=["from_bucket", "from_amount"], columns="to", values="share", aggfunc="first"
    ).reset_index()
    wide = wide.reindex(columns=["from_bucket", "from_amount", *targets])
    order = {label: i for i, label in enumerate(labels)}
    wide = wide.sort_values("from_bucket", key=lambda s: s.map(order)).reset_index(drop=True)
    wide.columns.name = None
    return wide


def roll_rate_month(as_of: date) -> tuple[date, date]:
    """The two month ends the roll-rate matrix compares: ``(previous, month_end)``.

    ``month_end = history.month_ends(as_of, 1)[0]`` (the last month end on or before D) and
    ``previous = dso.months_before(month_end, 1)``, as in :func:`roll_rate_matrix`.
    """
    month_end = history.month_ends(as_of, 1)[0]
    return dso.months_before(month_end, 1), month_end


def roll_rate_invoices(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    from_bucket: str,
    to: str,
) -> pd.DataFrame:
    """The items behind one cell of the roll-rate matrix (:func:`roll_rate_matrix`).

    With ``(previous, month_end) = roll_rate_month(as_of)``: every item (not unapplied cash)
    with a positive open amount at ``previous`` in bucket ``from_bucket`` (by its days past due
    at ``previous``), joined on its invoice id to the same item at ``month_end``. ``to`` is
    ``paid``, ``written_off`` or a bucket label; ``cell_amount`` is the part of the item the
    cell counts: payments allocated between the two month ends, write-offs between them, or
    the open amount at ``month_end`` of an item that is in bucket ``to`` there. Items whose
    ``cell_amount`` is 0 are left out, so that ``sum(cell_amount)`` is the amount of the cell
    in ``history.roll_rates`` (``share * from_amount``) to the cent.
    Columns: ``INVOICE_COLUMNS`` as the item stands at ``month_end`` (``open_amount``, ``dpd``),
    then ``cell_amount`` (Decimal). Sorted by days past due, oldest first. One currency (the
    filters pick it, as for the matrix). Reference: kpi-spec section 9.
    """
    edges = tuple(settings.bucket_edges)
    labels = bucket_labels(edges)
    targets = [ROLL_PAID, ROLL_WRITTEN_OFF, *labels]
    if from_bucket not in labels:
        raise ValueError(f"unknown bucket {from_bucket!r}; expected one of {labels}")
    if to not in targets:
        raise ValueError(f"unknown destination {to!r}; expected one of {targets}")
    previous, month_end = roll_rate_month(as_of)
    bucket, edge_binds = aging.bucket_index_sql(edges, "dpd")
    sql = asof.compose(
        "roll_rate_items",
        open_items=asof.open_items_history_sql(),
        bucket=bucket,
        columns=", ".join("c." + column for column in INVOICE_COLUMNS),
    )
    binds: dict[str, Any] = {
        **asof.history_params(dataset_id, [previous, month_end], filters),
        **edge_binds,
        "prev_date": previous,
        "cur_date": month_end,
        "from_index": labels.index(from_bucket),
        "target": to if to in (ROLL_PAID, ROLL_WRITTEN_OFF) else "open",
        "to_index": labels.index(to) if to in labels else -1,
    }
    return asof.query_frame(con, sql, binds)


# -- concentration ---------------------------------------------------------------------------
def concentration_view(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    basis: str = "outstanding",
) -> dict[str, Any]:
    """Concentration figures, Pareto points and Lorenz points on one basis.

    Returns ``{summary, pareto, lorenz}``: ``summary`` is ``concentration.concentration``
    (top-n share with ``settings.top_n``, HHI, effective customers, Gini, customers for 80 %);
    ``pareto`` the customers largest first (rank, customer_id, customer_name, balance, share,
    cum_share); ``lorenz`` the Lorenz points (x, y).
    """
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters, "basis": basis}
    return {
        "summary": concentration.concentration(con, as_of, n=settings.top_n, **kw),
        "pareto": concentration.pareto_points(con, as_of, **kw),
        "lorenz": concentration.lorenz_points(con, as_of, **kw),
    }


# -- losses ----------------------------------------------------------------------------------
def losses_view(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """The labelled loss ratios, doubtful receivables and the provision simulation.

    Returns ``{write_off, doubtful, inflow, provision}``: the results of
    ``losses.write_off_ratio_12m``, ``losses.doubtful_receivables``,
    ``losses.doubtful_inflow_ratio_12m`` and ``losses.provision_matrix`` (rates from
    ``settings.provision_rates``, completed by :func:`provision_rates_for`).
    """
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters}
    after = settings.doubtful_after_days
    return {
        "write_off": losses.write_off_ratio_12m(con, as_of, **kw),
        "doubtful": losses.doubtful_receivables(con, as_of, doubtful_after_days=after, **kw),
        "inflow": losses.doubtful_inflow_ratio_12m(con, as_of, doubtful_after_days=after, **kw),
        "provision": losses.provision_matrix(
            con,
            as_of,
            edges=tuple(settings.bucket_edges),
            rates=_rates(settings),
            vat_rate=settings.vat_rate,
            **kw,
        ),
    }


def provision_invoices(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    row: str,
) -> pd.DataFrame:
    """The open items behind one row of the provision simulation (``losses.provision_matrix``).

    ``row`` is a bucket label or ``doubtful``. An open item (open amount not 0) at D goes to
    the ``doubtful`` row when it is flagged (flagged doubtful with no date or a date on or
    before D, or its customer in a collective procedure), else to its aging bucket by days past
    due (unapplied cash: not due); a bucket row therefore leaves the flagged items out.
    ``base`` is the item's open amount excluding tax, ``open * amount_excl_tax / amount`` when
    the invoice has an excluding-tax amount, else ``open / (1 + settings.vat_rate)``, rounded
    half away from zero to the cent, so that ``sum(base)`` is the row's base and
    ``round(sum(base) * rate, 2)`` its provision. Columns: ``INVOICE_COLUMNS`` then ``base``
    (Decimal). Sorted by days past due, oldest first. Reference: kpi-spec section 6.
    """
    edges = tuple(settings.bucket_edges)
    labels = bucket_labels(edges)
    if row != losses.DOUBTFUL and row not in labels:
        raise ValueError(f"unknown row {row!r}; expected one of {[*labels, losses.DOUBTFUL]}")
    base_sql, binds = losses.provision_base_sql(
        con,
        as_of,
        dataset_id=dataset_id,
        filters=filters,
        edges=edges,
        vat_rate=settings.vat_rate,
    )
    sql = asof.compose(
        "provision_items", provision_base=base_sql, columns=", ".join(INVOICE_COLUMNS)
    )
    binds["row"] = -1 if row == losses.DOUBTFUL else labels.index(row)
    return asof.query_frame(con, sql, binds)


def extra_sales(loss_excl_tax: Decimal, settings: Settings = DEFAULT_SETTINGS) -> Decimal | None:
    """New sales needed to make up ``loss_excl_tax`` at ``settings.net_margin_rate``."""
    return losses.extra_sales_needed(Decimal(loss_excl_tax), settings.net_margin_rate)


# -- data quality ----------------------------------------------------------------------------
def quality_summary(flags: pd.DataFrame, examples: int = 5) -> pd.DataFrame:
    """Data-quality flags of a dataset (``Workspace.quality_flags``) summarised per check.

    Columns: table_name, flag, count, lines (the first ``examples`` line numbers, as text),
    detail (one example). Sorted by count, largest first.
    """
    columns = ["table_name", "flag", "count", "lines", "detail"]
    if flags.empty:
        return pd.DataFrame(columns=columns)
    grouped = flags.sort_values(["line_no"], na_position="first").groupby(
        ["table_name", "flag"], sort=False, dropna=False
    )
    out = grouped.agg(
        count=("flag", "size"),
        lines=(
            "line_no",
            lambda s: ", ".join(str(int(x)) for x in s.dropna().head(examples)),
        ),
        detail=("detail", "first"),
    ).reset_index()
    return out.sort_values(["count", "flag"], ascending=[False, True]).reset_index(drop=True)[
        columns
    ]


# -- monthly report --------------------------------------------------------------------------
def cfo_report(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """Everything the monthly CFO report holds: tiles, history, aged totals, top risks, losses."""
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters, "settings": settings}
    return {
        "as_of": as_of,
        "filters": filters,
        "labels": bucket_labels(tuple(settings.bucket_edges)),
        "tiles": overview_tiles(con, as_of, **kw),
        "history": dso_history(con, as_of, **kw),
        "aged_totals": aged_totals(con, as_of, **kw),
        "top_overdue": top_overdue_customers(con, as_of, 10, **kw),
        "losses": losses_view(con, as_of, **kw),
    }
