"""Canonical tables and columns: the single source of truth for every identifier in SQL.

Every source file is mapped onto one of the canonical tables below. Column names here are the
only identifiers that ever reach SQL text; source headers never do.

Each stored row also carries the ``dataset_id`` it belongs to and ``line_no``, the physical
line (CSV) or row (XLSX, 1-based as a spreadsheet shows it; Parquet: row index + 1) of the
source file it came from, so that every figure can be traced back to the export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MONEY = "DECIMAL(18,2)"
RATE = "DECIMAL(9,4)"

#: Kinds of column; they decide how a text value is parsed.
TEXT, ID, DATE, MONEY_KIND, BOOL, NUMBER = "text", "id", "date", "money", "bool", "number"

#: Column importance for the mapping step.
REQUIRED, EXPECTED, OPTIONAL = "required", "expected", "optional"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    level: str = OPTIONAL
    doc: str = ""

    @property
    def sql_type(self) -> str:
        return {
            TEXT: "VARCHAR",
            ID: "VARCHAR",
            DATE: "DATE",
            MONEY_KIND: MONEY,
            BOOL: "BOOLEAN",
            NUMBER: RATE,
        }[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    doc: str = ""
    #: Alternatives of which at least one must be mapped (payments: invoice_id or customer_id).
    one_of: tuple[tuple[str, ...], ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.level == REQUIRED)


INVOICES = Table(
    "invoices",
    (
        Column("invoice_id", ID, REQUIRED, "document number, kept as text (leading zeros kept)"),
        Column("customer_id", ID, REQUIRED, "customer account, kept as text"),
        Column("invoice_date", DATE, REQUIRED, "document date"),
        Column("amount", MONEY_KIND, REQUIRED, "signed amount incl. tax; credit notes negative"),
        Column("due_date", DATE, EXPECTED, "net due date; missing -> invoice_date + 30 days"),
        Column("customer_name", TEXT),
        Column("settled_date", DATE, OPTIONAL, "date the invoice was fully settled"),
        Column("amount_excl_tax", MONEY_KIND),
        Column("currency", TEXT),
        Column("disputed", BOOL),
        Column("doubtful", BOOL),
        Column("doubtful_date", DATE, OPTIONAL, "date the invoice was classified doubtful"),
        Column("segment", TEXT),
        Column("entity", TEXT),
        Column("country", TEXT),
        Column("sales_rep", TEXT),
    ),
    "invoices and credit notes (one row per document)",
)

PAYMENTS = Table(
    "payments",
    (
        Column("payment_date", DATE, REQUIRED),
        Column("amount", MONEY_KIND, REQUIRED, "amount received (positive)"),
        Column("invoice_id", ID, OPTIONAL, "invoice the payment is allocated to"),
        Column("customer_id", ID, OPTIONAL, "payer; alone, allocated oldest due date first"),
        Column("payment_id", ID),
        Column("currency", TEXT),
    ),
    "cash received",
    one_of=(("invoice_id", "customer_id"),),
)

CUSTOMERS = Table(
    "customers",
    (
        Column("customer_id", ID, REQUIRED),
        Column("customer_name", TEXT),
        Column("segment", TEXT, OPTIONAL, "typology: large account, SME, micro, public sector..."),
        Column("credit_limit", MONEY_KIND),
        Column("insured_limit", MONEY_KIND),
        Column("country", TEXT),
        Column("is_business", BOOL, OPTIONAL, "B2B customer (default true)"),
        Column("collective_procedure", BOOL, OPTIONAL, "in safeguard, receivership or liquidation"),
        Column("penalty_rate", NUMBER, OPTIONAL, "contractual late-payment rate, percent a year"),
    ),
    "customer master data",
)

WRITE_OFFS = Table(
    "write_offs",
    (
        Column("invoice_id", ID, REQUIRED),
        Column("write_off_date", DATE, REQUIRED),
        Column("amount", MONEY_KIND, REQUIRED, "amount written off incl. tax (positive)"),
        Column("amount_excl_tax", MONEY_KIND),
    ),
    "irrecoverable amounts written off (pertes sur créances irrécouvrables)",
)

TABLES: dict[str, Table] = {t.name: t for t in (INVOICES, PAYMENTS, CUSTOMERS, WRITE_OFFS)}

#: Columns every stored canonical row carries besides its own.
ROW_META = (("dataset_id", "INTEGER"), ("source_file", "VARCHAR"), ("line_no", "BIGINT"))

#: Statutory default when the due date is missing (Code de commerce L441-10: 30 days).
DEFAULT_TERMS_DAYS = 30
#: The currency of an amount that names none (kpi-spec).
DEFAULT_CURRENCY = "EUR"


def create_table_sql(table: Table) -> str:
    """DDL of a canonical table (identifiers from this module only)."""
    cols = [f"{n} {t}" for n, t in ROW_META]
    cols += [f"{c.name} {c.sql_type}" for c in table.columns]
    if table.name == "invoices":
        cols.append("due_date_imputed BOOLEAN NOT NULL DEFAULT FALSE")
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(cols)})"


def table_for(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}") from None
