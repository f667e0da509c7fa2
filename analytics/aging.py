"""Aged balance (balance âgée) and the outstanding totals (kpi-spec sections 1 and 2).

Every figure is computed from the open items of :mod:`analytics.asof` in one aggregate query.
Money comes back as ``Decimal`` (DECIMAL(18,2) in DuckDB); ratios as ``float``; an undefined
ratio is ``None``. Figures are always per currency: the scalar functions (``ar``, ``not_due``,
``overdue``, ``overdue_share``) raise :class:`analytics.asof.MixedCurrencyError` when the
filtered ledger holds several currencies (filter on one currency, or use ``aging(by=...)``
which returns one row per currency and key).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd

from analytics import asof, itemcache
from analytics.config import BUCKET_EDGES, NO_FILTERS, Filters, bucket_labels

#: Grouping keys accepted by ``aging(by=...)``: key -> schema columns grouped on.
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "customer": ("customer_id",),
    "segment": ("segment",),
    "entity": ("entity",),
    "country": ("country",),
    "currency": (),
}

BASES = ("due", "invoice")


def normalise_edges(edges: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Sorted distinct positive edges (validated by ``config.bucket_labels``)."""
    bucket_labels(tuple(edges))
    return tuple(sorted({int(e) for e in edges}))


def bucket_conditions(edges: tuple[int, ...], age: str = "age") -> tuple[list[str], dict[str, int]]:
    """SQL conditions, one per bucket label (not_due first), and their edge parameters.

    ``age`` is the name of an integer column (days past due, or days since the invoice date);
    a NULL age (unapplied cash) is counted as not due. Edges are bound as ``$edge_<i>``.
    """
    edges = normalise_edges(edges)
    binds = {f"edge_{i}": e for i, e in enumerate(edges)}
    conds = [f"({age} IS NULL OR {age} <= 0)"]
    low = "0"
    for i in range(len(edges)):
        conds.append(f"({age} > {low} AND {age} <= $edge_{i})")
        low = f"$edge_{i}"
    conds.append(f"({age} > {low})")
    return conds, binds


def bucket_index_sql(edges: tuple[int, ...], age: str = "age") -> tuple[str, dict[str, int]]:
    """A CASE expression giving the bucket index (0 = not_due) of ``age``, and its parameters."""
    conds, binds = bucket_conditions(edges, age)
    whens = " ".join(f"WHEN {c} THEN {i}" for i, c in enumerate(conds))
    return f"CASE {whens} END", binds


def aging_select(
    edges: tuple[int, ...], keys: list[str], *, with_name: bool = False
) -> tuple[str, dict[str, int]]:
    """SELECT list of the aging query: keys, c<i> (money per bucket), total, n, n<i> (counts).

    Works on a relation with columns ``age`` and ``open_amount``; returns the text and the edge
    parameters.
    """
    conds, binds = bucket_conditions(edges)
    select = list(keys)
    if with_name:
        select.append("MAX(customer_name) AS customer_name")
    for i, cond in enumerate(conds):
        select.append(
            f"CAST(COALESCE(SUM(open_amount) FILTER (WHERE {cond}), 0) AS DECIMAL(18,2)) AS c{i}"
        )
    select.append("CAST(COALESCE(SUM(open_amount), 0) AS DECIMAL(18,2)) AS total")
    select.append("COUNT(*) FILTER (WHERE open_amount <> 0) AS n")
    for i, cond in enumerate(conds):
        select.append(f"COUNT(*) FILTER (WHERE open_amount <> 0 AND {cond}) AS n{i}")
    return ", ".join(select), binds


def _age_sql(basis: str) -> str:
    if basis == "due":
        return "dpd"
    if basis == "invoice":
        return "date_diff('day', invoice_date, as_of)"
    raise ValueError(f"basis must be one of {BASES}, not {basis!r}")


def aging(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    edges: tuple[int, ...] = BUCKET_EDGES,
    basis: str = "due",
    by: str | None = None,
) -> pd.DataFrame:
    """Aged balance at ``as_of``, one row per currency (and per ``by`` key).

    Formula (kpi-spec section 2): each open item falls in one bucket by its age,
    ``dpd = as_of - due_date`` (``basis="due"``, default) or ``as_of - invoice_date``
    (``basis="invoice"``): ``not_due`` when age <= 0 (an invoice due today is not overdue; the
    unapplied cash rows of :mod:`analytics.asof` have no age and count here), then one column
    per overdue bucket with inclusive upper bounds ``edges`` (labels from
    ``config.bucket_labels``: ``1-30``, ``31-60``, ..., ``>120``). ``total`` is AR, the sum of
    open amounts; ``not_due + buckets == total`` to the cent on every row.
    Units: money as ``Decimal`` (2 decimals). Counts: ``count`` (items with a non-zero open
    amount: settled items are not counted) and ``count_<label>`` per bucket.
    Grain: one row per currency and key (``customer`` adds ``customer_id`` and
    ``customer_name``; ``segment``, ``entity``, ``country`` add that column; NULL keys are kept
    as a group). Empty ledger: no rows.
    Reference: kpi-spec.md section 2; "balance âgée" as in any French credit-management manual.
    """
    if by is not None and by not in GROUP_KEYS:
        raise ValueError(f"by must be None or one of {sorted(GROUP_KEYS)}, not {by!r}")
    labels = bucket_labels(tuple(edges))
    keys = [*GROUP_KEYS[by], "currency"] if by else ["currency"]
    select, binds = aging_select(tuple(edges), keys, with_name=by == "customer")
    key_list = ", ".join(keys)
    sql = asof.compose(
        "aging",
        open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False),
        age=_age_sql(basis),
        select=select,
        keys=key_list,
    )
    frame = asof.query_frame(con, sql, {**asof.params(dataset_id, as_of, filters), **binds})
    rename: dict[str, str] = {"n": "count"}
    for i, label in enumerate(labels):
        rename[f"c{i}"] = label
        rename[f"n{i}"] = f"count_{label}"
    return frame.rename(columns=rename)


def totals_by_currency(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> dict[str, tuple[Decimal, Decimal]]:
    """``{currency: (AR_D, not_due_D)}`` in one query; no entry for an empty ledger."""
    sql = asof.compose(
        "ar_totals", open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False)
    )
    rows = con.execute(sql, asof.params(dataset_id, as_of, filters)).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def ar_by_currency(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> dict[str, Decimal]:
    """``{currency: AR_D}``, the AR of :func:`totals_by_currency` without the not-due part.

    With filters on customer and currency only, it is read straight from the ledger
    (``sql/ar_direct.sql``: invoices less the payments and write-offs on them less the
    customer-level cash, as the open items add up), so a past date such as the start of an
    average-DSO or CEI period costs no allocation. Other filters select items by their own
    attributes and go through the open items.
    """
    if filters.segment or filters.entity or filters.country:
        return {
            c: t[0]
            for c, t in totals_by_currency(
                con, as_of, dataset_id=dataset_id, filters=filters
            ).items()
        }
    binds = {
        "dataset_id": int(dataset_id),
        "as_of": as_of,
        "f_customer": [str(v) for v in filters.customer_id],
        "f_currency": [str(v) for v in filters.currency],
    }

    def compute() -> str:
        rows = con.execute(asof.load_sql("ar_direct"), binds).fetchall()
        return json.dumps([[c, str(ar)] for c, ar in rows])

    key = json.dumps(["ar_direct", binds["f_customer"], binds["f_currency"]])
    value = itemcache.remembered(con, dataset_id, as_of, key, compute)
    return {c: Decimal(ar) for c, ar in json.loads(value)}


def ar_and_not_due(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> tuple[Decimal, Decimal]:
    """``(AR_D, not_due_D)`` in one query, for a single currency (see :func:`ar`)."""
    totals = totals_by_currency(con, as_of, dataset_id=dataset_id, filters=filters)
    ar_value = asof.single_currency_total([(c, t[0]) for c, t in totals.items()])
    nd_value = asof.single_currency_total([(c, t[1]) for c, t in totals.items()])
    return ar_value, nd_value


def ar(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> Decimal:
    """Outstanding receivables ``AR_D = sum(open_D(i))`` over all items dated on or before D.

    Credit notes and unapplied cash included (they reduce AR). Units: ``Decimal`` in the
    ledger's currency. Grain: the filtered ledger. Null rule: an empty ledger gives 0.00 (a
    balance, not a ratio). Several currencies: MixedCurrencyError.
    Reference: kpi-spec.md section 1.
    """
    return ar_and_not_due(con, as_of, dataset_id=dataset_id, filters=filters)[0]


def not_due(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> Decimal:
    """Part of AR not yet due at D: ``sum(open_D(i))`` over items with ``dpd <= 0``.

    Unapplied cash (no due date) counts as not due. Units: ``Decimal``. Null rule: empty
    ledger gives 0.00. Several currencies: MixedCurrencyError. Reference: kpi-spec.md section 2.
    """
    return ar_and_not_due(con, as_of, dataset_id=dataset_id, filters=filters)[1]


def overdue(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> Decimal:
    """Overdue receivables ``overdue = AR_D - not_due_D`` (items with ``dpd > 0``).

    Units: ``Decimal``. Null rule: empty ledger gives 0.00. Several currencies:
    MixedCurrencyError. Reference: kpi-spec.md section 2.
    """
    total, nd = ar_and_not_due(con, as_of, dataset_id=dataset_id, filters=filters)
    return total - nd


def overdue_share(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> float | None:
    """Share of AR that is overdue: ``overdue_D / AR_D``, a fraction (0.25 = 25 %).

    Null rule: ``None`` when ``AR_D <= 0``. Several currencies: MixedCurrencyError.
    Reference: kpi-spec.md section 2.
    """
    total, nd = ar_and_not_due(con, as_of, dataset_id=dataset_id, filters=filters)
    if total <= 0:
        return None
    return float((total - nd) / total)
