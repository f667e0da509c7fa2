"""Build a DuckDB workspace file on disk from Python rows, for tests.

``make_ledger(path, invoices=[...], payments=[...], customers=[...], write_offs=[...])`` creates
the four canonical tables with ``schema.create_table_sql`` (always all four, empty when no rows
are given) and inserts the rows under ``dataset_id`` (1 by default). Rows are dicts keyed by
canonical column names; missing columns are NULL. Dates are ``datetime.date``; money may be
given as ``str``, ``int`` or ``Decimal``. Returns the open connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from analytics import schema

Row = Mapping[str, Any]


def _value(column: schema.Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == schema.MONEY_KIND:
        return Decimal(str(value))
    if column.kind == schema.DATE and not isinstance(value, date):
        return date.fromisoformat(str(value))
    return value


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: schema.Table,
    rows: Iterable[Row],
    dataset_id: int = 1,
) -> int:
    """Insert ``rows`` into ``table`` under ``dataset_id``; returns the number of rows."""
    rows = list(rows)
    if not rows:
        return 0
    extra = {"due_date_imputed"} if table.name == "invoices" else set()
    for row in rows:
        unknown = set(row) - set(table.names) - extra
        if unknown:
            raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    names = ["dataset_id", "source_file", "line_no", *table.names]
    if extra:
        names.append("due_date_imputed")
    values = []
    for line_no, row in enumerate(rows, start=2):
        record: list[Any] = [dataset_id, f"{table.name}.csv", line_no]
        record += [_value(c, row.get(c.name)) for c in table.columns]
        if extra:
            record.append(bool(row.get("due_date_imputed", False)))
        values.append(record)
    placeholders = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"  # noqa: S608
    con.executemany(sql, values)
    return len(values)


def make_ledger(
    path: str | Path,
    invoices: Iterable[Row] = (),
    payments: Iterable[Row] = (),
    customers: Iterable[Row] = (),
    write_offs: Iterable[Row] = (),
    dataset_id: int = 1,
) -> duckdb.DuckDBPyConnection:
    """Create (or extend) the workspace file at ``path`` and return a connection to it."""
    con = duckdb.connect(str(path))
    for table in schema.TABLES.values():
        con.execute(schema.create_table_sql(table))
    insert_rows(con, schema.INVOICES, invoices, dataset_id)
    insert_rows(con, schema.PAYMENTS, payments, dataset_id)
    insert_rows(con, schema.CUSTOMERS, customers, dataset_id)
    insert_rows(con, schema.WRITE_OFFS, write_offs, dataset_id)
    return con


def inv(
    invoice_id: str,
    customer_id: str,
    invoice_date: date,
    amount: str | Decimal | int,
    due_date: date | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Shorthand for one invoice row."""
    return {
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "invoice_date": invoice_date,
        "amount": amount,
        "due_date": due_date,
        **extra,
    }


def pay(
    payment_date: date,
    amount: str | Decimal | int,
    invoice_id: str | None = None,
    customer_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Shorthand for one payment row (name the invoice, or only the customer)."""
    return {
        "payment_date": payment_date,
        "amount": amount,
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        **extra,
    }
