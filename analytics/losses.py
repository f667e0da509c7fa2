"""Losses (sinistralité), doubtful receivables and the provision simulation (kpi-spec section 6).

The ratios of this module are not interchangeable, so each result carries a ``label`` saying
what it divides by what. Money is ``Decimal``; ratios are fractions as ``float``; a ratio whose
denominator is zero or negative is None. Every figure is for one currency: the functions raise
:class:`analytics.asof.MixedCurrencyError` when the filtered book holds several.

"Doubtful" has two readings, always reported apart:

- flagged: the invoice is flagged doubtful (``doubtful`` true, with no ``doubtful_date`` or one
  on or before D) or its customer is in a collective procedure;
- age-based (a proxy): not flagged and ``dpd > doubtful_after_days`` (default 180).

Open amounts are signed, as in AR: a credit note or unapplied cash of a flagged customer
reduces the flagged amount (set-off), so that the provision bases add up to AR excluding tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import duckdb

from analytics import aging, asof, itemcache
from analytics.config import (
    BUCKET_EDGES,
    DOUBTFUL_AFTER_DAYS,
    NET_MARGIN_RATE,
    NO_FILTERS,
    PROVISION_RATES,
    VAT_RATE,
    Filters,
    bucket_labels,
)

#: The "12 months" of the ratios: (D - 365, D].
WINDOW_DAYS = 365
#: Label of the provision row that holds the flagged doubtful items.
DOUBTFUL = "doubtful"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _single(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    if len(rows) > 1:
        raise asof.MixedCurrencyError([r[0] for r in rows])
    return rows[0] if rows else None


def _window_params(dataset_id: int, as_of: date, filters: Filters) -> dict[str, Any]:
    return {
        **asof.params(dataset_id, as_of, filters),
        "window_start": as_of - timedelta(days=WINDOW_DAYS),
    }


def write_off_ratio_12m(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> dict[str, Any]:
    """Write-offs of the last 12 months over the sales of the same 12 months.

    Formula: ``write-offs dated in (D-365, D] / sales(D-365, D]`` (sales: invoices net of
    credit notes dated in the window). Basis: excluding tax on both sides when every
    write-off and every invoice of the window has an ``amount_excl_tax``, else including tax
    on both sides (``basis`` says which). A write-off counts when its invoice is dated on or
    before D and passes the filters. Units: fraction. Grain: the filtered book, one currency.
    Null rule: ``ratio`` None when the sales are zero or negative; ``basis`` None for a book
    with neither sales nor write-offs in the window.
    Reference: kpi-spec section 6.

    Returns ``{ratio, basis ('excl_tax' | 'incl_tax' | None), write_offs, sales, currency,
    label}``.
    """
    rows = asof.compose(
        "write_off_rows", open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False)
    )
    sql = asof.compose("losses_write_off_ratio", write_off_rows=rows)
    row = _single(con.execute(sql, _window_params(dataset_id, as_of, filters)).fetchall())
    return write_off_result(row)


def write_off_result(row: tuple[Any, ...] | None) -> dict[str, Any]:
    """The dict of :func:`write_off_ratio_12m` from its row ``(currency, basis, write_offs,
    sales, ratio)``, None for a book with neither sales nor write-offs in the window."""
    if row is None:
        currency, basis, wo, sales, ratio = None, None, ZERO, ZERO, None
    else:
        currency, basis, wo, sales, ratio = row
    tax = {"excl_tax": "excl. tax", "incl_tax": "incl. tax"}.get(basis or "", "")
    label = "Write-offs / sales, 12 months" + (f" ({tax})" if tax else "")
    return {
        "ratio": ratio,
        "basis": basis,
        "write_offs": wo,
        "sales": sales,
        "currency": currency,
        "label": label,
    }


def doubtful_receivables(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    doubtful_after_days: int = DOUBTFUL_AFTER_DAYS,
) -> dict[str, Any]:
    """Doubtful receivables at D, flagged and age-based reported apart, and their share of AR.

    Formula: ``flagged = sum(open_D)`` over flagged items (see the module docstring);
    ``age_based = sum(open_D)`` over items not flagged with ``dpd > doubtful_after_days``;
    ``total = flagged + age_based``; ``doubtful_share = total / AR_D``.
    Units: money (Decimal, incl. tax) and a fraction. Grain: the filtered book, one currency.
    Null rule: ``doubtful_share`` None when ``AR_D <= 0``; an empty book gives 0.00 amounts.
    Reference: kpi-spec section 6.

    Returns ``{flagged, age_based, total, ar, doubtful_share, currency, label}``.
    """
    sql = asof.compose(
        "losses_doubtful", open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False)
    )
    p = {**asof.params(dataset_id, as_of, filters), "after_days": int(doubtful_after_days)}
    return doubtful_result(_single(con.execute(sql, p).fetchall()))


def doubtful_result(row: tuple[Any, ...] | None) -> dict[str, Any]:
    """The dict of :func:`doubtful_receivables` from its row ``(currency, flagged, age_based,
    total, ar, doubtful_share)``, None for an empty book."""
    if row is None:
        row = (None, ZERO, ZERO, ZERO, ZERO, None)
    keys = ("currency", "flagged", "age_based", "total", "ar", "doubtful_share")
    out = dict(zip(keys, row, strict=True))
    out["label"] = "Doubtful receivables (flagged + age-based) / outstanding at D"
    return out


def doubtful_share(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    doubtful_after_days: int = DOUBTFUL_AFTER_DAYS,
) -> float | None:
    """Share of AR that is doubtful: ``(flagged + age_based) / AR_D``.

    See :func:`doubtful_receivables`. Units: fraction. Null rule: None when ``AR_D <= 0``.
    Reference: kpi-spec section 6.
    """
    return doubtful_receivables(
        con,
        as_of,
        dataset_id=dataset_id,
        filters=filters,
        doubtful_after_days=doubtful_after_days,
    )["doubtful_share"]


def doubtful_inflow_ratio_12m(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    doubtful_after_days: int = DOUBTFUL_AFTER_DAYS,
) -> dict[str, Any]:
    """Receivables that became doubtful in the last 12 months over the sales of those months.

    Formula: ``inflow / sales(D-365, D]`` with ``inflow = flagged_inflow + age_based_inflow``:

    - an invoice flagged doubtful with a ``doubtful_date`` in ``(D-365, D]`` enters the
      flagged inflow;
    - an item not flagged at D whose dpd first exceeded ``doubtful_after_days`` in the window
      (on ``due_date + doubtful_after_days + 1``) enters the age-based inflow;
    - each counts for its open amount at D plus its write-offs dated from that event to D
      (what became doubtful and was not collected since; cash recovered after the event is
      not counted). Flagged items without a date cannot be placed in time and are left out.

    Units: fraction (amounts incl. tax on both sides). Grain: the filtered book, one currency.
    Null rule: ``ratio`` None when the sales of the window are zero or negative.
    Reference: kpi-spec section 6.

    Returns ``{ratio, flagged_inflow, age_based_inflow, inflow, sales, currency, label}``.
    """
    sql = asof.compose(
        "losses_doubtful_inflow",
        open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False),
    )
    p = {
        **_window_params(dataset_id, as_of, filters),
        "window_days": WINDOW_DAYS,
        "after_days": int(doubtful_after_days),
    }
    row = _single(con.execute(sql, p).fetchall())
    if row is None:
        row = (None, ZERO, ZERO, ZERO, ZERO, None)
    keys = ("currency", "flagged_inflow", "age_based_inflow", "inflow", "sales", "ratio")
    out = dict(zip(keys, row, strict=True))
    out["label"] = "Became doubtful in 12 months / sales of the 12 months (incl. tax)"
    return out


def vat_fraction(vat_rate: Decimal) -> tuple[int, int]:
    f = 1 / (1 + Fraction(vat_rate))
    if f <= 0:
        raise ValueError("vat_rate must be greater than -1")
    return f.numerator, f.denominator


def provision_base_sql(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters,
    edges: Sequence[int],
    vat_rate: Decimal,
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters of every open item at D with its provision row (``bucket``: a bucket
    index, -1 for the flagged doubtful items) and its ``base`` excluding tax
    (``sql/provision_base.sql``), for :func:`provision_matrix` and the items behind a row."""
    index_sql, binds = aging.bucket_index_sql(tuple(edges), "dpd")
    sql = asof.compose(
        "provision_base",
        open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False),
        bucket_index=index_sql,
    )
    vat_num, vat_den = vat_fraction(vat_rate)
    params = {
        **asof.params(dataset_id, as_of, filters),
        **binds,
        "vat_num": vat_num,
        "vat_den": vat_den,
    }
    return sql, params


def provision_matrix(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    edges: tuple[int, ...] = BUCKET_EDGES,
    rates: dict[str, Decimal] | None = None,
    vat_rate: Decimal = VAT_RATE,
) -> dict[str, Any]:
    """Provision simulation: a rate per aging bucket applied to the open amounts excl. tax.

    A simulation, not a tax position (French tax deducts provisions debt by debt).
    Formula: every open item at D goes to the ``doubtful`` row when flagged (see the module
    docstring), else to its aging bucket by dpd (unapplied cash: not due). Its base is its
    open amount excluding tax, ``open * amount_excl_tax / amount`` when the invoice has an
    excluding-tax amount (pro rata), else ``open / (1 + vat_rate)``, rounded half away from
    zero to the cent item by item. Per row: ``base = sum of the bases``,
    ``provision = round(base * rate, 2)``; ``total = sum of the provisions``.
    Rates: ``rates`` (default ``config.PROVISION_RATES``) keyed by bucket label plus
    ``doubtful``. Units: money (Decimal, excl. tax). Grain: the filtered book, one currency.
    Null rule: an empty book gives 0.00 everywhere. Reference: kpi-spec section 6.

    Returns ``{rows: [{bucket, base, rate, provision, items}], base, total, currency, label}``
    with the rows in bucket order, ``doubtful`` last.
    """
    rates = dict(PROVISION_RATES if rates is None else rates)
    _check_rates(edges, rates)
    base_sql, p = provision_base_sql(
        con, as_of, dataset_id=dataset_id, filters=filters, edges=edges, vat_rate=vat_rate
    )
    sql = asof.compose("losses_provision", provision_base=base_sql)
    found = con.execute(sql, p).fetchall()
    currencies = sorted({r[0] for r in found})
    if len(currencies) > 1:
        raise asof.MixedCurrencyError(currencies)
    by_bucket = {int(b): (base, int(n)) for _, b, base, n in found}
    return provision_result(by_bucket, edges, rates, currencies[0] if currencies else None)


def _check_rates(edges: tuple[int, ...], rates: dict[str, Decimal]) -> None:
    labels = bucket_labels(tuple(edges))
    missing = [label for label in [*labels, DOUBTFUL] if label not in rates]
    if missing:
        raise ValueError(f"no provision rate for {', '.join(missing)}")


def provision_result(
    by_bucket: dict[int, tuple[Decimal, int]],
    edges: tuple[int, ...],
    rates: dict[str, Decimal],
    currency: str | None,
) -> dict[str, Any]:
    """The dict of :func:`provision_matrix` from the base and item count of each row
    (``{bucket index: (base, items)}``, -1 for the flagged doubtful items; a row without items
    may be left out)."""
    _check_rates(edges, rates)
    labels = bucket_labels(tuple(edges))
    rows = []
    for i, label in [*enumerate(labels), (-1, DOUBTFUL)]:
        base, n = by_bucket.get(i, (ZERO, 0))
        rate = Decimal(rates[label])
        rows.append(
            {
                "bucket": label,
                "base": base,
                "rate": rate,
                "provision": (base * rate).quantize(CENT, rounding=ROUND_HALF_UP),
                "items": n,
            }
        )
    return {
        "rows": rows,
        "base": sum((r["base"] for r in rows), ZERO),
        "total": sum((r["provision"] for r in rows), ZERO),
        "currency": currency,
        "label": "Provision simulation on open amounts excl. tax (rate per aging bucket)",
    }


def provision_total(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    edges: tuple[int, ...] = BUCKET_EDGES,
    rates: dict[str, Decimal] | None = None,
    vat_rate: Decimal = VAT_RATE,
) -> Decimal:
    """Total of the provision simulation, ``sum_b round(base_b * rate_b, 2)``, excl. tax.

    See :func:`provision_matrix`. Units: Decimal. Null rule: 0.00 for an empty book.
    Reference: kpi-spec section 6.
    """
    return provision_matrix(
        con,
        as_of,
        dataset_id=dataset_id,
        filters=filters,
        edges=edges,
        rates=rates,
        vat_rate=vat_rate,
    )["total"]


def extra_sales_needed(
    loss_excl_tax: Decimal, net_margin_rate: Decimal = NET_MARGIN_RATE
) -> Decimal | None:
    """New sales needed to make up for a loss: ``loss_excl_tax / net_margin_rate``.

    1,000 EUR lost at a 5 % net margin needs 20,000 EUR of new sales. Units: money (Decimal,
    excl. tax, rounded half away from zero to the cent). Null rule: None when the margin is
    zero or negative. Reference: kpi-spec section 6.
    """
    margin = Decimal(net_margin_rate)
    if margin <= 0:
        return None
    return (Decimal(loss_excl_tax) / margin).quantize(CENT, rounding=ROUND_HALF_UP)
