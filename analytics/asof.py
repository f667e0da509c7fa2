"""Open amounts as of a date D: the shared base of every balance KPI (kpi-spec section 1).

``open_items_sql()`` is the SQL text of one SELECT (usable as a CTE body) returning one row per
invoice or credit note of the dataset with ``invoice_date <= D`` that passes the filters, plus
one row per customer holding unapplied cash (see below). ``params()`` builds its parameters.

Rules, as an auditor would read kpi-spec section 1:

- ``open_amount = amount - paid - written_off`` as of D, DECIMAL(18,2). Nothing dated after D
  counts: invoices, payments and write-offs dated after D are ignored.
- A payment naming an invoice (``invoice_id`` not null) is allocated to that invoice only. A
  payment naming an invoice that is not in the ledger (or is dated after D) reduces no balance.
- A payment naming only the customer is allocated to that customer's open invoices in the same
  currency, oldest due date first (then invoice date, then invoice id), after the payments
  naming an invoice and the write-offs. Credit notes and invoices already settled receive
  nothing. This FIFO is set-based (window sums) and only runs for customers that have such
  payments.
- Unapplied cash: what remains of a customer's customer-level payments once all the customer's
  open invoices in that currency are covered reduces the customer's balance. It is returned as
  an extra row per (customer, currency) with ``kind = 'unapplied'``, ``invoice_id`` NULL,
  ``amount`` 0, ``paid`` the unapplied cash, ``open_amount`` negative, ``invoice_date`` the date
  of the customer's last customer-level payment, ``due_date`` and ``dpd`` NULL (aging counts it
  in ``not_due``), segment and country the customer's, entity NULL. Summing ``open_amount``
  therefore gives the ledger balance ``sum(invoices) - sum(payments) - sum(write-offs)``.
- Settlement dates without payments: when the dataset has no payment rows at all, an invoice
  whose ``settled_date <= D`` is paid in full: ``paid = amount - written_off`` (open 0, so a
  settled invoice that was also partly written off is not counted twice).
- Payments without a currency are taken as EUR, like invoices.
- ``settle_date``: the date the open amount reached 0 (first date at which the cumulative
  payments and write-offs of the invoice covered its amount; for invoices covered by a
  customer-level payment, the date that payment brought the customer's cumulative cash up to
  the invoice; with settlement dates only, ``settled_date``); NULL while the invoice is open at
  D. Never after D, never before the invoice date.
- ``dpd = D - due_date`` in days; a missing due date is ``invoice_date + 30 days``
  (``schema.DEFAULT_TERMS_DAYS``, Code de commerce L441-10) and ``due_date_imputed`` is TRUE.
- Filters: segment and country are the invoice's, else the customer's; the customer filter is
  applied before the allocation (it is per customer anyway), the others after it, so that a
  filter never changes an invoice's open amount.

Columns: invoice_id, customer_id, customer_name, invoice_date, due_date, due_date_imputed,
amount, amount_excl_tax, paid, written_off, open_amount, settle_date, dpd, currency, disputed,
doubtful, doubtful_date, segment, entity, country, is_business, collective_procedure, kind
('invoice', 'credit_note' or 'unapplied'), as_of.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.config import NO_FILTERS, Filters

SQL_DIR = Path(__file__).with_name("sql")

#: Keys of the filter parameters, in the order of the Filters fields they come from.
FILTER_PARAMS: dict[str, str] = {
    "f_segment": "segment",
    "f_entity": "entity",
    "f_country": "country",
    "f_customer": "customer_id",
    "f_currency": "currency",
}

_ONE_DATE = {
    "dates": "SELECT CAST($as_of AS DATE) AS as_of",
    "last_as_of": "CAST($as_of AS DATE)",
    "closed_ctes": "",
    "inv_rows": """SELECT CAST($as_of AS DATE) AS as_of, a.*
    FROM inv_all AS a""",
    "own_rows": """SELECT CAST($as_of AS DATE) AS as_of, e.invoice_id,
           SUM(e.paid) AS paid, SUM(e.written_off) AS written_off,
           MAX(e.event_date) AS last_event, COUNT(*) AS n_events
    FROM own_ev AS e
    GROUP BY e.invoice_id""",
    "cash_rows": """SELECT CAST($as_of AS DATE) AS as_of, p.customer_id, p.currency,
           SUM(p.amount) AS cash, MAX(p.payment_date) AS last_payment
    FROM pay AS p
    WHERE p.invoice_id IS NULL AND p.customer_id IS NOT NULL
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), p.customer_id))
    GROUP BY p.customer_id, p.currency""",
}
_MANY_DATES = {
    "dates": "SELECT CAST(unnest($as_of_dates) AS DATE) AS as_of",
    "last_as_of": "CAST($last_as_of AS DATE)",
    "closed_ctes": """closed AS (
    SELECT e.invoice_id, MAX(e.event_date) AS closed_on
    FROM own_ev AS e
    JOIN inv_all AS a ON a.invoice_id = e.invoice_id
    WHERE a.amount > 0
    GROUP BY e.invoice_id, a.amount
    HAVING SUM(e.paid + e.written_off) = a.amount AND MIN(e.paid + e.written_off) >= 0
    UNION ALL
    SELECT a.invoice_id, a.settled_date AS closed_on
    FROM inv_all AS a
    CROSS JOIN has_pay AS h
    WHERE NOT h.has_payments AND a.settled_date IS NOT NULL
),
kept AS (
    SELECT invoice_id,
           CAST(MIN(closed_on) + INTERVAL '31' DAY AS DATE) AS dropped_from
    FROM closed
    GROUP BY invoice_id
),
""",
    "inv_rows": """SELECT d.as_of, a.*
    FROM inv_all AS a
    LEFT JOIN kept AS k ON k.invoice_id = a.invoice_id
    JOIN asof_dates AS d
      ON a.invoice_date <= d.as_of
     AND d.as_of < COALESCE(k.dropped_from, DATE '9999-12-31')""",
    "own_rows": """SELECT d.as_of, e.invoice_id,
           SUM(e.paid) AS paid, SUM(e.written_off) AS written_off,
           MAX(e.event_date) AS last_event, COUNT(*) AS n_events
    FROM own_ev AS e
    LEFT JOIN kept AS k ON k.invoice_id = e.invoice_id
    JOIN asof_dates AS d
      ON e.event_date <= d.as_of
     AND d.as_of < COALESCE(k.dropped_from, DATE '9999-12-31')
    GROUP BY d.as_of, e.invoice_id""",
    "cash_rows": """SELECT d.as_of, p.customer_id, p.currency,
           SUM(p.amount) AS cash, MAX(p.payment_date) AS last_payment
    FROM asof_dates AS d
    JOIN pay AS p ON p.payment_date <= d.as_of
    WHERE p.invoice_id IS NULL AND p.customer_id IS NOT NULL
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), p.customer_id))
    GROUP BY d.as_of, p.customer_id, p.currency""",
}

_SETTLE_CTES = """,
own_cum AS (
    SELECT e.invoice_id, e.event_date,
           SUM(e.paid + e.written_off) OVER (
               PARTITION BY e.invoice_id ORDER BY e.event_date
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM own_ev AS e
    SEMI JOIN base AS b ON b.invoice_id = e.invoice_id AND b.n_events > 1
),
own_settle AS (
    SELECT c.invoice_id, MIN(c.event_date) AS settled_on
    FROM own_cum AS c
    JOIN base AS b ON b.invoice_id = c.invoice_id
    WHERE (b.amount >= 0 AND c.cum >= b.amount) OR (b.amount < 0 AND c.cum <= b.amount)
    GROUP BY c.invoice_id
),
cash_cum AS (
    SELECT customer_id, currency, payment_date,
           SUM(amount) OVER (
               PARTITION BY customer_id, currency ORDER BY payment_date
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM pay
    WHERE invoice_id IS NULL AND customer_id IS NOT NULL
),
fifo_covered AS (
    SELECT as_of, invoice_id, covered_on
    FROM (
        SELECT as_of, invoice_id, side,
               MIN(payment_date) OVER (
                   PARTITION BY customer_id, currency ORDER BY level, side
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS covered_on
        FROM (
            SELECT as_of, invoice_id, customer_id, currency, cum_before + pos_open AS level,
                   0 AS side, CAST(NULL AS DATE) AS payment_date
            FROM fifo
            WHERE alloc > 0 AND alloc = pos_open
            UNION ALL
            SELECT CAST(NULL AS DATE) AS as_of, CAST(NULL AS VARCHAR) AS invoice_id,
                   customer_id, currency, cum AS level, 1 AS side, payment_date
            FROM cash_cum
        ) AS u
    ) AS w
    WHERE side = 0
)"""

_SETTLE_JOINS = """
    LEFT JOIN own_settle AS os ON os.invoice_id = b.invoice_id
    LEFT JOIN fifo_covered AS fc ON fc.as_of = b.as_of AND fc.invoice_id = b.invoice_id"""

# An invoice with a single own event (one payment or one write-off) that covers it was settled
# on that event's date; only invoices with several events need the running sum of own_cum.
_SETTLE_EXPR = """CASE
               WHEN NOT h.has_payments AND b.settled_date <= b.as_of THEN b.settled_date
               WHEN COALESCE(f.alloc, 0) > 0 THEN GREATEST(
                   b.invoice_date,
                   COALESCE(b.last_event, b.invoice_date),
                   COALESCE(fc.covered_on, b.as_of))
               WHEN b.n_events = 1
                AND ((b.amount >= 0 AND b.own_paid + b.wo >= b.amount)
                     OR (b.amount < 0 AND b.own_paid + b.wo <= b.amount))
               THEN GREATEST(b.invoice_date, b.last_event)
               ELSE GREATEST(b.invoice_date, COALESCE(os.settled_on, b.invoice_date))
           END"""


class MixedCurrencyError(ValueError):
    """Raised when one total is asked over amounts in several currencies."""

    def __init__(self, currencies: Sequence[str]):
        self.currencies = tuple(currencies)
        super().__init__(
            "amounts are in several currencies ("
            + ", ".join(self.currencies)
            + "); filter on one currency or ask for figures per currency"
        )


@cache
def load_sql(name: str) -> str:
    """Text of ``analytics/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def compose(name: str, **fragments: str) -> str:
    """``analytics/sql/<name>.sql`` with its ``{placeholders}`` replaced by SQL fragments.

    Fragments are SQL text built from schema identifiers and generated names only; values are
    always bound as parameters.
    """
    return load_sql(name).format(**fragments)


@cache
def _open_items(many_dates: bool, settle: bool) -> str:
    return compose(
        "open_items",
        **(_MANY_DATES if many_dates else _ONE_DATE),
        settle_ctes=_SETTLE_CTES if settle else "",
        settle_joins=_SETTLE_JOINS if settle else "",
        settle_expr=_SETTLE_EXPR if settle else "CAST(NULL AS DATE)",
    )


def open_items_sql(*, settle: bool = True) -> str:
    """SQL of one SELECT: open items at ``$as_of`` (see the module docstring for the columns).

    Parameters: ``$dataset_id``, ``$as_of`` and the filter lists ``$f_segment``, ``$f_entity``,
    ``$f_country``, ``$f_customer``, ``$f_currency`` (build them with :func:`params`).
    ``settle=False`` returns ``settle_date`` as NULL and skips the work needed to find it
    (balance KPIs do not need it).
    """
    return _open_items(False, settle)


def open_items_history_sql() -> str:
    """Like :func:`open_items_sql` for several as-of dates at once (column ``as_of``).

    Parameters: ``$dataset_id``, ``$as_of_dates`` (DATE[]) and the filter lists; build them
    with :func:`history_params`. Each row is the item as it stood at its ``as_of``. To keep
    24 month ends affordable, an item closed for good (its own payments and write-offs, all
    non-negative, add up exactly to its positive amount; or, without payments, its settlement
    date) is left out of the dates more than 31 days after it closed: its open amount there is
    0, so every sum is unchanged, and consecutive month ends (at most 31 days apart) still see
    it on both sides of its closing month.
    """
    return _open_items(True, False)


def filter_params(filters: Filters = NO_FILTERS) -> dict[str, list[str]]:
    """The five filter lists (empty list = no filter on that field)."""
    return {key: [str(v) for v in getattr(filters, field)] for key, field in FILTER_PARAMS.items()}


def params(dataset_id: int, as_of: date, filters: Filters = NO_FILTERS) -> dict[str, Any]:
    """Parameters of :func:`open_items_sql`."""
    return {"dataset_id": int(dataset_id), "as_of": as_of, **filter_params(filters)}


def history_params(
    dataset_id: int, as_of_dates: Sequence[date], filters: Filters = NO_FILTERS
) -> dict[str, Any]:
    """Parameters of :func:`open_items_history_sql`."""
    return {
        "dataset_id": int(dataset_id),
        "as_of_dates": list(as_of_dates),
        "last_as_of": max(as_of_dates, default=None),
        **filter_params(filters),
    }


def open_items(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Open items at ``as_of`` as a pandas DataFrame (drill-down and tests)."""
    from analytics import itemcache

    sql = compose("open_items_list", open_items=itemcache.items_sql(con, dataset_id, as_of))
    return query_frame(con, sql, params(dataset_id, as_of, filters))


#: Result types that :func:`query_frame` reads through Arrow (others go row by row).
_ARROW_TYPES = re.compile(
    r'BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|FLOAT|DOUBLE|VARCHAR|DATE|TIMESTAMP|"NULL"'
    r"|DECIMAL\(\d+,\d+\)"
)


def query_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list | None = None
) -> pd.DataFrame:
    """The rows of a query as a DataFrame of Python values (Decimal, date), not floats.

    The frame is what ``pd.DataFrame.from_records(con.execute(sql, params).fetchall())``
    gives: Decimal and date objects, int64 for whole numbers, float64 for whole numbers with a
    NULL, ``None`` throughout a column of NULLs. Results of the usual types are read through
    Arrow, four to five times faster on large results than a Python tuple per row; other types
    (lists, HUGEINT, intervals...) and empty results go row by row. A relation is planned once
    more than ``execute()`` (about 6 ms on a 1M-invoice ledger); the Arrow copy of an
    ``execute()`` result would save that but DuckDB warns on it, and warnings are errors in
    places (the legal tests check none is raised).
    """
    con.complete()  # a relation may not start while an execute() result is pending
    rel = con.sql(sql, params=params)
    names = list(rel.columns)
    if not all(_ARROW_TYPES.fullmatch(str(t)) for t in rel.types):
        return pd.DataFrame.from_records(rel.fetchall(), columns=names)
    table = rel.to_arrow_table()
    if table.num_rows == 0:
        return pd.DataFrame.from_records([], columns=names)
    columns = []
    for column in table.columns:
        if column.null_count == len(column):
            column = pa.nulls(len(column))
        elif pa.types.is_integer(column.type) and column.null_count == 0:
            column = column.cast(pa.int64())
        elif pa.types.is_floating(column.type):
            column = column.cast(pa.float64())
        columns.append(column)
    frame = pa.table(columns, names=[f"c{i}" for i in range(len(names))]).to_pandas(
        date_as_object=True
    )
    frame.columns = names
    return frame


def small_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list | None = None
) -> pd.DataFrame:
    """:func:`query_frame` for a result of a few rows (a total per currency): read row by row
    from one ``execute()``, which plans the query once where a relation plans it twice."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return pd.DataFrame.from_records(cur.fetchall(), columns=names)


def single_currency_total(rows: Sequence[tuple[str, Decimal | None]]) -> Decimal:
    """The one total of ``(currency, total)`` rows; 0.00 when there are none.

    Raises MixedCurrencyError when the rows carry several currencies.
    """
    if len(rows) > 1:
        raise MixedCurrencyError(sorted(str(r[0]) for r in rows))
    if not rows or rows[0][1] is None:
        return Decimal("0.00")
    return Decimal(rows[0][1])
