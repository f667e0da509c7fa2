"""French payment-terms law: terms breaches, late-payment penalties, recovery indemnity.

Reference: kpi-spec section 8; Code de commerce L441-10 (terms, penalties) and D441-5 (40 EUR
fixed recovery indemnity).

Scope, as an auditor would read it:

- B2B customers only (``customers.is_business``, true when unknown). Individuals owe neither
  penalties nor the indemnity; their late invoices are listed with ``eligible`` false and 0.00.
- Customers in a collective procedure (safeguard, receivership, liquidation) are excluded from
  penalties and indemnities (same treatment). Terms breaches are counted for them: the terms
  were agreed before the procedure.
- A late invoice: positive amount, due date before D, settled after its due date (on or before
  D) or still open at D (kpi-spec section 10). Credit notes are never late.
- Penalties run from the day after the due date to the settlement date (or D when still
  open), on the amount open each day: a payment or write-off reduces the base from the day
  after it is dated. Customer-level payments are spread over time exactly as
  :mod:`analytics.asof` allocates them (oldest due date first): the invoice covering the cash
  levels ``(s, s + alloc]`` of the customer's cumulative customer-level payments receives each
  payment's share of that range on the payment's date (not before the invoice date).
- Rate: the ECB main refinancing rate in force on 1 January (days in January-June) or 1 July
  (days in July-December) plus ``PENALTY_MARGIN_POINTS`` (10), a delay spanning a half-year
  boundary being split; a contractual rate (``customers.penalty_rate``, percent a year)
  replaces that rate for every day. Interest: ``base x days x rate / 100 / 365`` (the day
  count fixed by the practice of the DGCCRF), rounded half-up to the cent per invoice.
- A half-year not covered by the rate table (before its first row) gives a None penalty and a
  :class:`MissingRateWarning`, never a guessed rate; a total containing such an invoice is None.
- The indemnity is 40 EUR per eligible late invoice, whatever the invoice currency (reported in
  EUR, apart from the penalties, which are in the invoice currency).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics import asof, itemcache, schema
from analytics.config import (
    NO_FILTERS,
    PENALTY_MARGIN_POINTS,
    RECOVERY_INDEMNITY_EUR,
    Filters,
)
from analytics.store import workspace_path

#: The bundled ECB main refinancing rate table (one row per change, with its source).
ECB_RATES_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "reference" / "ecb_main_refinancing_rate.csv"
)
#: Legal maximum terms (Code de commerce L441-10): 60 days from the invoice date...
MAX_TERMS_DAYS = 60
#: ...or 45 days end of month (the due date may not pass the end of the month of invoice + 45).
MAX_TERMS_EOM_DAYS = 45

RATE_COLUMNS = ("effective_date", "rate_percent", "source")


class MissingRateWarning(UserWarning):
    """Some late days fall in a half-year the ECB rate table does not cover."""


@dataclass(frozen=True)
class HalfYear:
    """A half-year period ``[start, end]`` and the ECB rate in force on its first day."""

    start: date
    end: date
    ecb_rate: Decimal | None


def user_rates_path() -> Path:
    """Where the user's edited rate table lives: ``$ENCOURS_ECB_RATES`` when set, else
    ``ecb_main_refinancing_rate.csv`` beside the workspace file."""
    env = os.environ.get("ENCOURS_ECB_RATES")
    if env:
        return Path(env).expanduser()
    return workspace_path().parent / ECB_RATES_PATH.name


def active_rates_path() -> Path:
    """The rate table in force: the user's edited table when it exists, else the bundled one."""
    user = user_rates_path()
    return user if user.is_file() else ECB_RATES_PATH


def save_ecb_rates(rates: pd.DataFrame, path: str | Path | None = None) -> Path:
    """Validate an edited rate table and save it as the user's table (CSV, same columns).

    Raises ValueError (with the reason) and writes nothing when the table is not valid.
    """
    table = validate_ecb_rates(rates)
    file = Path(path) if path is not None else user_rates_path()
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(RATE_COLUMNS)
        for row in table.itertuples(index=False):
            writer.writerow([row.effective_date.isoformat(), str(row.rate_percent), row.source])
    os.replace(tmp, file)
    return file


def reset_ecb_rates(path: str | Path | None = None) -> None:
    """Drop the user's edited table: the bundled table is in force again."""
    file = Path(path) if path is not None else user_rates_path()
    file.unlink(missing_ok=True)


def load_ecb_rates(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate an ECB rate table (when ``path`` is None: the user's edited table if
    there is one, else the bundled one; see :func:`active_rates_path`).

    CSV with the columns ``effective_date`` (ISO date), ``rate_percent`` (percent a year,
    decimal point) and ``source`` (non-empty). Dates must be strictly ascending. Returns a
    DataFrame with ``effective_date`` as ``date``, ``rate_percent`` as ``Decimal`` and
    ``source``; raises ValueError naming the first bad line otherwise.
    """
    file = Path(path) if path is not None else active_rates_path()
    stat = file.stat()
    return _read_ecb_rates(str(file), stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=8)
def _read_ecb_rates(name: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """The validated table of the file ``name``, read again whenever it changes on disk
    (its modification time and size are part of the key)."""
    file = Path(name)
    with open(file, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in RATE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{file.name}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    records: list[dict[str, Any]] = []
    for line_no, row in enumerate(rows, start=2):
        records.append(_validate_rate_row(row, line_no, file.name))
    return validate_ecb_rates(pd.DataFrame(records, columns=list(RATE_COLUMNS)))


def _validate_rate_row(row: dict[str, str], line_no: int, name: str) -> dict[str, Any]:
    try:
        effective = date.fromisoformat((row["effective_date"] or "").strip())
    except ValueError:
        raise ValueError(f"{name} line {line_no}: effective_date is not an ISO date") from None
    try:
        rate = Decimal((row["rate_percent"] or "").strip())
    except InvalidOperation:
        raise ValueError(f"{name} line {line_no}: rate_percent is not a number") from None
    if not rate.is_finite():
        raise ValueError(f"{name} line {line_no}: rate_percent is not a number")
    source = (row["source"] or "").strip()
    return {"effective_date": effective, "rate_percent": rate, "source": source}


def validate_ecb_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """Check a rate table given as a DataFrame (for a table edited by the user).

    Same rules as :func:`load_ecb_rates`: the three columns, ISO dates strictly ascending,
    numeric rates, a source on every row. Returns a normalised copy.
    """
    missing = [c for c in RATE_COLUMNS if c not in rates.columns]
    if missing:
        raise ValueError(f"rate table: missing column(s) {', '.join(missing)}")
    if rates.empty:
        raise ValueError("rate table: no rows")
    out = pd.DataFrame(
        {
            "effective_date": [_as_date(v) for v in rates["effective_date"]],
            "rate_percent": [_as_rate(v) for v in rates["rate_percent"]],
            "source": ["" if pd.isna(v) else str(v).strip() for v in rates["source"]],
        }
    )
    dates = list(out["effective_date"])
    for i in range(1, len(dates)):
        if dates[i] <= dates[i - 1]:
            raise ValueError(f"rate table: dates not strictly ascending at {dates[i]}")
    blank = out.index[out["source"] == ""].tolist()
    if blank:
        raise ValueError(f"rate table: no source for the row of {dates[blank[0]]}")
    return out


def _as_date(value: Any) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"rate table: {value!r} is not an ISO date") from None


def _as_rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"rate table: {value!r} is not a number") from None
    if not rate.is_finite():
        raise ValueError(f"rate table: {value!r} is not a number")
    return rate


def half_year_start(d: date) -> date:
    """1 January or 1 July of the half-year containing ``d``."""
    return date(d.year, 1 if d.month <= 6 else 7, 1)


def rate_in_force(rates: pd.DataFrame, on: date) -> Decimal | None:
    """ECB rate in force on ``on``: the last row with ``effective_date <= on``; None before."""
    best: Decimal | None = None
    for effective, rate in zip(rates["effective_date"], rates["rate_percent"], strict=True):
        if effective <= on:
            best = rate
    return best


def half_years(first: date, last: date, rates: pd.DataFrame) -> list[HalfYear]:
    """Half-year periods from the one containing ``first`` to the one containing ``last``."""
    out: list[HalfYear] = []
    start = half_year_start(first)
    while start <= last:
        nxt = date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)
        out.append(HalfYear(start, nxt - timedelta(days=1), rate_in_force(rates, start)))
        start = nxt
    return out


def _first_due(con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: date) -> date | None:
    """The first due date of the dataset (a pass over its invoices, remembered per date while
    the connection has the open-items cache)."""
    sql = (
        "SELECT MIN(COALESCE(due_date, invoice_date)) FROM "
        + schema.INVOICES.name
        + " WHERE dataset_id = $dataset_id"
    )

    def compute() -> str:
        row = con.execute(sql, {"dataset_id": int(dataset_id)}).fetchone()
        return row[0].isoformat() if row and row[0] is not None else ""

    value = itemcache.remembered(con, dataset_id, as_of, "first_due", compute)
    return date.fromisoformat(value) if value else None


#: The per-invoice rows of ``legal_late.sql`` as they are cached (``late_items`` itself).
_LATE_ITEMS_TAIL = "SELECT * FROM late_items"


@contextmanager
def _late_query(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    dataset_id: int,
    filters: Filters,
    rates: pd.DataFrame | None,
    margin: Decimal,
    indemnity: Decimal,
    tail: str,
    *,
    sums: bool = False,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The SQL and parameters of the query ``tail`` over the late invoices of
    ``legal_late.sql`` (CTE ``late_items``), valid within the ``with`` block.

    ``sums``: ``tail`` reads ``late_sums`` (``sql/legal_late_sums.sql``: the late invoices
    counted and added up per customer, segment, entity, country and currency) instead of the
    rows; with the cache those sums are kept too, so a book-level figure adds up a few thousand
    rows.

    With the open-items cache (:mod:`analytics.itemcache`), the late invoices of the whole
    ledger at D are computed once per rate table, margin and indemnity and kept beside the
    open items; ``tail`` then reads them through the filters. The filtered rows are the rows the
    uncached query gives: segment, entity, country and currency filter the late invoices by
    their own columns in both, and a customer filter, which the uncached query applies before
    the allocation, selects whole customers whose FIFO allocation never depends on others.
    Without derived rows, the late invoices that pass the filters are written to a temporary
    table of ``con`` for the block, and ``tail`` reads them there.
    """
    table = load_ecb_rates() if rates is None else validate_ecb_rates(rates)
    first = _first_due(con, dataset_id, as_of) or as_of
    periods = half_years(min(first, as_of), as_of, table)
    inputs = {
        "h_start": [p.start for p in periods],
        "h_end": [p.end for p in periods],
        "h_rate": [None if p.ecb_rate is None else str(p.ecb_rate) for p in periods],
        "margin": str(Decimal(margin)),
        "indemnity": str(Decimal(indemnity)),
    }

    def params_for(f: Filters) -> dict[str, Any]:
        return {
            **asof.params(dataset_id, as_of, Filters(customer_id=f.customer_id)),
            "g_segment": [str(v) for v in f.segment],
            "g_entity": [str(v) for v in f.entity],
            "g_country": [str(v) for v in f.country],
            "g_currency": [str(v) for v in f.currency],
            **inputs,
        }

    p = params_for(filters)
    key = "legal_late " + json.dumps(list(inputs.values()), default=str)
    unfiltered = params_for(NO_FILTERS)
    cached = itemcache.derived(
        con,
        dataset_id,
        as_of,
        key,
        lambda items: asof.compose("legal_late", open_items=items) + "\n" + _LATE_ITEMS_TAIL,
        unfiltered,
    )
    if cached is None:
        # Written to a temporary table first: DuckDB spills a table to disk under its memory
        # limit, where the one query of the late invoices and their sums ran out of memory
        # (10M invoices under 400MB).
        items = itemcache.items_sql(con, dataset_id, as_of)
        name = "late_items_" + uuid.uuid4().hex
        create = f"CREATE TEMP TABLE {name} AS " + asof.compose("legal_late", open_items=items)
        con.execute(create + "\n" + _LATE_ITEMS_TAIL, p)
        try:
            sql = f"WITH late_items AS (SELECT * FROM temp.{name})\n"
            if sums:
                sql += f", late_sums AS (\n{asof.load_sql('legal_late_sums')})\n"
            yield sql + asof.load_sql(tail), {}
        finally:
            drop = f"DROP TABLE IF EXISTS temp.{name}"
            con.execute(drop)
        return
    if sums:
        late_sums = f"WITH late_items AS (SELECT * FROM {cached})\n" + asof.load_sql(
            "legal_late_sums"
        )
        table = itemcache.derived(
            con, dataset_id, as_of, "legal_sums " + key, lambda _: late_sums, {}
        )
        sql = f"WITH late_sums AS (SELECT * FROM {table} WHERE {itemcache.FILTERS_SQL})\n"
    else:
        sql = f"WITH late_items AS (SELECT * FROM {cached} WHERE {itemcache.FILTERS_SQL})\n"
    yield sql + asof.load_sql(tail), asof.filter_params(filters)


def _warn_missing(missing: bool) -> None:
    if missing:
        warnings.warn(
            "late-payment penalties: the ECB rate table does not cover some half-years of the "
            f"delays; those penalties are None (extend the table in force, "
            f"{active_rates_path()})",
            MissingRateWarning,
            stacklevel=3,
        )


def _any_none(frame: pd.DataFrame, *columns: str) -> bool:
    return not frame.empty and any(frame[c].isna().any() for c in columns)


def late_invoices(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    rates: pd.DataFrame | None = None,
    margin: Decimal = PENALTY_MARGIN_POINTS,
    indemnity: Decimal = RECOVERY_INDEMNITY_EUR,
    open_only: bool = False,
) -> pd.DataFrame:
    """Late invoices at ``as_of`` with the penalty and indemnity claimable on each.

    ``open_only``: only the invoices still open at D (``status = 'open'``), as a worklist needs.

    Population: invoices with a positive amount, ``due_date < D``, settled after the due date
    (on or before D, ``status = 'paid_late'``) or open at D (``status = 'open'``).
    Per invoice: ``days_late = end_date - due_date`` with ``end_date`` the settlement date or
    D; ``penalty = round(sum over days t in (due_date, end_date] of open_t x rate_t / 100 /
    365, 2)`` where ``open_t`` is the amount open on day t (reductions count from the day after
    they are dated) and ``rate_t`` the contractual rate or the ECB rate of t's half-year plus
    ``margin`` (see the module docstring); ``indemnity_eur`` = ``indemnity`` (40 EUR).
    Units: penalty in the invoice currency (Decimal), indemnity in EUR. Null rule: penalty None
    when a day falls in a half-year the rate table does not cover (with a warning); 0.00 for
    ineligible invoices (individuals, collective procedures: ``eligible`` false).
    Grain: one row per late invoice. Reference: Code de commerce L441-10, D441-5.
    """
    tail = "legal_penalties_open" if open_only else "legal_penalties_list"
    with _late_query(con, as_of, dataset_id, filters, rates, margin, indemnity, tail) as (sql, p):
        out = asof.query_frame(con, sql, p)
    _warn_missing(_any_none(out, "penalty"))
    return out


def penalties_by_customer(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    rates: pd.DataFrame | None = None,
    margin: Decimal = PENALTY_MARGIN_POINTS,
    indemnity: Decimal = RECOVERY_INDEMNITY_EUR,
) -> pd.DataFrame:
    """Penalties and indemnities claimable per customer and currency at ``as_of``.

    Columns: ``customer_id``, ``customer_name``, ``currency``, ``late_invoices``,
    ``late_open``, ``late_paid``, ``penalties_open`` and ``penalties_paid`` (sums of the
    per-invoice penalties of :func:`late_invoices` on invoices still open at D and on invoices
    already paid late; Decimal in the currency), ``indemnities_open_eur`` and
    ``indemnities_paid_eur`` (40 EUR per eligible late invoice). Null rule: a penalty total is
    None when one of its invoices has a None penalty (rate table not covering it).
    Grain: customer x currency, customers with at least one late invoice.
    Reference: Code de commerce L441-10, D441-5.
    """
    with _late_query(
        con, as_of, dataset_id, filters, rates, margin, indemnity, "legal_customers"
    ) as (sql, p):
        out = asof.query_frame(con, sql, p)
    _warn_missing(_any_none(out, "penalties_open", "penalties_paid"))
    return out


def legal_totals(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    rates: pd.DataFrame | None = None,
    margin: Decimal = PENALTY_MARGIN_POINTS,
    indemnity: Decimal = RECOVERY_INDEMNITY_EUR,
) -> pd.DataFrame:
    """Book-level late invoices, penalties and indemnities per currency at ``as_of``.

    Columns: ``currency``, ``late_invoices`` (every late invoice, kpi-spec section 10),
    ``eligible_invoices`` (B2B outside collective procedures), ``penalties`` (sum of the
    per-invoice penalties, Decimal, None when one is None), ``indemnities_eur``.
    Reference: kpi-spec sections 8 and 10.
    """
    with _late_query(
        con, as_of, dataset_id, filters, rates, margin, indemnity, "legal_summary", sums=True
    ) as (sql, p):
        out = asof.small_frame(con, sql, p)
    _warn_missing(_any_none(out, "penalties"))
    return out


def late_payment_penalties(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    rates: pd.DataFrame | None = None,
    margin: Decimal = PENALTY_MARGIN_POINTS,
) -> Decimal | None:
    """Total late-payment penalties claimable at ``as_of`` (open and paid-late invoices).

    Formula: sum of the per-invoice penalties of :func:`late_invoices` (rounded per invoice).
    Units: Decimal in the ledger's single currency (MixedCurrencyError when several remain
    after the filters). Null rule: None when one eligible invoice's delay is not covered by the
    rate table (with a MissingRateWarning); 0.00 when nothing is late.
    Reference: Code de commerce L441-10; kpi-spec section 8.
    """
    totals = legal_totals(
        con, as_of, dataset_id=dataset_id, filters=filters, rates=rates, margin=margin
    )
    if len(totals) > 1:
        raise asof.MixedCurrencyError(sorted(totals["currency"]))
    if totals.empty:
        return Decimal("0.00")
    value = totals["penalties"].iloc[0]
    return None if value is None or pd.isna(value) else Decimal(value)


def recovery_indemnities(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    indemnity: Decimal = RECOVERY_INDEMNITY_EUR,
) -> Decimal:
    """Fixed recovery indemnities claimable at ``as_of``, in EUR.

    Formula: ``indemnity (40 EUR) x count(late invoices of B2B customers outside collective
    procedures)``, late as in :func:`late_invoices`, all currencies together (the indemnity is
    a fixed EUR amount). Units: Decimal EUR. Null rule: 0.00 when nothing is late (a defined
    amount). Reference: Code de commerce D441-5 (40 EUR).
    """
    totals = legal_totals(con, as_of, dataset_id=dataset_id, filters=filters, indemnity=indemnity)
    return Decimal(sum(totals["indemnities_eur"], Decimal("0.00")))


def _terms_sql(items: str, tail: str) -> str:
    base = asof.compose("legal_terms", open_items=items)
    return base + "\n" + asof.load_sql(tail)


def terms_breaches(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Invoices whose payment terms exceed the legal maximum, one row per invoice.

    Formula: ``terms = due_date - invoice_date``; breach when ``due_date > invoice_date + 60
    days`` AND ``due_date > last day of the month of (invoice_date + 45 days)``. Population:
    invoices (positive amount) dated on or before D of B2B customers, with a due date given by
    the ledger (an imputed due date is 30 days). Columns: the invoice, ``terms_days``, both
    limits, ``days_beyond`` (days past the later limit), ``amount`` and ``open_amount`` at D
    (the amounts at stake). Reference: Code de commerce L441-10 I; kpi-spec section 8.
    """
    sql = _terms_sql(itemcache.items_sql(con, dataset_id, as_of, settle=False), "legal_terms_list")
    return asof.query_frame(con, sql, asof.params(dataset_id, as_of, filters))


def terms_breach_count(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> int:
    """The number of rows of :func:`terms_breaches` (invoices whose terms breach the legal
    maximum), counted in the database. Reference: Code de commerce L441-10 I."""
    sql = _terms_sql(itemcache.items_sql(con, dataset_id, as_of, settle=False), "legal_terms_count")
    return int(con.execute(sql, asof.params(dataset_id, as_of, filters)).fetchall()[0][0])


def terms_breaches_by_customer(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Terms breaches per customer and currency: ``breaches`` (count), ``amount`` and
    ``open_amount`` (Decimal sums), ``max_terms_days``. Same rule as :func:`terms_breaches`.
    Reference: Code de commerce L441-10 I.
    """
    sql = _terms_sql(
        itemcache.items_sql(con, dataset_id, as_of, settle=False), "legal_terms_customers"
    )
    return asof.query_frame(con, sql, asof.params(dataset_id, as_of, filters))


def legal_summary(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    rates: pd.DataFrame | None = None,
    breaches: int | None = None,
) -> dict[str, Any]:
    """The ``legal`` block of kpi-spec section 10.

    - ``late_invoices``: invoices with a positive amount and a due date before D, settled after
      their due date (on or before D) or still open at D; every customer.
    - ``penalties``: sum of the per-invoice penalties (B2B outside collective procedures), as
      :func:`late_payment_penalties` (None when the rate table does not cover a delay).
    - ``indemnities``: 40 EUR x the late invoices of B2B customers outside collective
      procedures (EUR).
    - ``terms_breaches``: invoices dated on or before D whose terms breach the legal maximum.
    Money as Decimal; several currencies after the filters raise MixedCurrencyError.
    ``breaches``: the terms-breach count when the caller already has it (the overview's cached
    sums); counted here otherwise.
    """
    totals = legal_totals(con, as_of, dataset_id=dataset_id, filters=filters, rates=rates)
    if len(totals) > 1:
        raise asof.MixedCurrencyError(sorted(totals["currency"]))
    if breaches is None:
        breaches = terms_breach_count(con, as_of, dataset_id=dataset_id, filters=filters)
    if totals.empty:
        late, penalties, indemnities = 0, Decimal("0.00"), Decimal("0.00")
    else:
        row = totals.iloc[0]
        late = int(row["late_invoices"])
        value = row["penalties"]
        penalties = None if value is None or pd.isna(value) else Decimal(value)
        indemnities = Decimal(row["indemnities_eur"])
    return {
        "late_invoices": late,
        "penalties": penalties,
        "indemnities": indemnities,
        "terms_breaches": breaches,
    }
