"""Staging: cast a raw text table onto a canonical table, row by row, with reasons.

For one file already read as text (``ingest.read_raw``) and mapped (``mapping.propose``), the
staging query types every mapped column with the expressions of ``parse`` and gives each row
either a reject reason naming the column and the value, or nothing. Rows are then:

- **rejected** (kept in ``rejected_rows`` with the reason and the source line): unparseable
  date, amount, number or yes/no value; a required value missing; a duplicate invoice or
  customer id (the first occurrence is kept); a totals row;
- **loaded and flagged** (``quality_flags``): due date before the invoice date, settlement
  before the invoice date, missing due date (taken as invoice date + 30 days, the statutory
  default), more than one currency, payments or write-offs naming an invoice that is not in
  the ledger, an amount excluding tax larger than the amount including tax.

Nothing is lost silently: ``rows_read = rows_loaded + rows_rejected`` for every file, and the
control total of the amounts read equals the loaded plus the rejected total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from analytics import parse, schema
from analytics.ingest import RawTable, SourceInfo
from analytics.mapping import Mapping, currency_in_header

#: Human names of the canonical columns, used in reject reasons.
LABELS = {
    "invoice_id": "invoice number",
    "customer_id": "customer code",
    "invoice_date": "invoice date",
    "amount": "amount",
    "due_date": "due date",
    "payment_date": "payment date",
    "write_off_date": "write-off date",
}

#: Default of yes/no columns when the cell is blank.
BOOL_DEFAULTS = {
    "disputed": False,
    "doubtful": False,
    "is_business": True,
    "collective_procedure": False,
}

#: Unique key per table (duplicates after the first are rejected).
UNIQUE_KEYS = {"invoices": "invoice_id", "customers": "customer_id"}


@dataclass
class StagedFile:
    """One file cast onto a canonical table inside the staging connection."""

    file: str
    table: str
    typed: str  # staging table: line_no, canonical columns, reason (NULL = good row)
    headers: list[str]
    mapping: Mapping
    rows_read: int
    structural_rejects: list  # ingest.Reject
    notes: list[str] = field(default_factory=list)
    date_format: parse.DateFormat | None = None
    amount_formats: dict[str, parse.AmountFormat] = field(default_factory=dict)
    info: SourceInfo | None = None
    raw_table: str | None = None
    fast_paths: dict[str, bool] = field(default_factory=dict)


def name_as_customer_id(m: Mapping) -> bool:
    """True when a file has customer names but no customer code (Xero, some spreadsheets).

    The name then serves as the customer key; the load notes it.
    """
    table = schema.table_for(m.table)
    return (
        "customer_id" in table.names
        and "customer_id" not in m.matches
        and "customer_name" in m.matches
        and m.table != "payments"
    )


def missing_required(m: Mapping) -> list[str]:
    """Required columns still missing once customer names stand in for customer codes."""
    missing = m.missing_required()
    if name_as_customer_id(m):
        missing = [c for c in missing if c != "customer_id"]
    return missing


def _column_exprs(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, typed: str
) -> tuple[list[str], list[str], dict, parse.DateFormat | None, dict[str, parse.AmountFormat]]:
    """SELECT expressions for the mapped columns: typed values over the raw columns, and
    reject reasons over the typed values (by canonical name) and the raw columns."""
    exprs = _typed_exprs(con, raw, mapping)
    return exprs.values, exprs.reasons, exprs.params, exprs.date_fmt, exprs.amount_fmts


@dataclass
class _Exprs:
    values: list[str]
    reasons: list[str]
    params: dict[str, object]
    date_fmt: parse.DateFormat | None
    amount_fmts: dict[str, parse.AmountFormat]
    fast: dict[str, bool]
    #: Conditions (over the typed and the raw columns) of which one holds on every row that
    #: has a reason: see ``_TYPED_SQL``.
    guards: list[str]


def _typed_exprs(con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping) -> _Exprs:
    table = schema.table_for(mapping.table)
    mapped = {c: m for c, m in mapping.matches.items() if c in table.names}
    if name_as_customer_id(mapping):
        mapped["customer_id"] = mapped["customer_name"]
    src = {c: f"c{m.source_index}" for c, m in mapped.items()}
    date_cols = [src[c] for c in mapped if table.column(c).kind == schema.DATE]
    date_fmt = parse.detect_date_format(con, raw.table, date_cols) if date_cols else None
    default_mark = "," if (raw.info.separator == ";" or raw.info.encoding == "cp1252") else "."
    amount_fmts: dict[str, parse.AmountFormat] = {}
    general: dict[str, tuple[str, str | None]] = {}
    candidates: dict[str, list[parse.FastPath]] = {}
    for col in table.columns:
        if col.name not in mapped:
            continue
        c = src[col.name]
        if col.kind == schema.ID:
            general[col.name] = (parse.id_sql(c), None)
        elif col.kind == schema.TEXT:
            general[col.name] = (parse.text_sql(c), None)
        elif col.kind == schema.DATE:
            general[col.name] = (parse.date_sql(c, date_fmt), parse.date_error_sql(c, date_fmt))
            candidates[col.name] = parse.date_fast_paths(c, date_fmt)
        elif col.kind == schema.MONEY_KIND:
            fmt = parse.detect_amount_format(con, raw.table, c, default_mark=default_mark)
            amount_fmts[col.name] = fmt
            general[col.name] = (parse.amount_sql(c, fmt), parse.amount_error_sql(c, fmt))
            candidates[col.name] = parse.amount_fast_paths(c, fmt)
        elif col.kind == schema.NUMBER:
            fmt = parse.detect_amount_format(con, raw.table, c, default_mark=default_mark)
            general[col.name] = (parse.number_sql(c, fmt), parse.number_error_sql(c, fmt))
            candidates[col.name] = parse.number_fast_paths(c, fmt)
        elif col.kind == schema.BOOL:
            general[col.name] = (parse.bool_sql(c), parse.bool_error_sql(c))
        else:  # pragma: no cover - the schema has no other kind
            raise ValueError(col.kind)
    by_source = {src[name]: paths for name, paths in candidates.items()}
    chosen = parse.choose_fast_paths(con, raw.table, by_source)
    values: list[str] = []
    reasons: list[str] = []
    guards: list[str] = []
    params: dict[str, object] = {}
    fast: dict[str, bool] = {}
    for col in table.columns:
        if col.name not in mapped:
            if col.name in BOOL_DEFAULTS:
                values.append(f"{str(BOOL_DEFAULTS[col.name]).upper()} AS {col.name}")
            else:
                values.append(f"CAST(NULL AS {col.sql_type}) AS {col.name}")
            continue
        c = src[col.name]
        expr, err = general[col.name]
        if col.name in candidates:
            only = chosen[c]
            fast[col.name] = only is not None
            expr = parse.with_fast_paths(c, expr, candidates[col.name], only)
            if only is not None:
                err = candidates[col.name][only].error
        if col.name in BOOL_DEFAULTS:
            default = str(BOOL_DEFAULTS[col.name]).upper()
            values.append(
                f"coalesce({expr}, CASE WHEN {parse.text_sql(c)} IS NULL THEN {default} END)"
                f" AS {col.name}"
            )
        else:
            values.append(f"{expr} AS {col.name}")
        label = LABELS.get(col.name, col.name.replace("_", " "))
        header_param = f"h_{col.name}"
        if err is not None or col.level == schema.REQUIRED:
            params[header_param] = mapped[col.name].source_header
        blank = f"{parse.text_sql(c)} IS NULL"
        if err is not None:
            reasons.append(
                f"CASE WHEN {col.name} IS NULL AND NOT ({blank}) "
                f"THEN 'column ' || ${header_param} || ': ' || ({err}) END"
            )
        if col.level == schema.REQUIRED:
            reasons.append(
                f"CASE WHEN {blank} THEN 'column ' || ${header_param} || ': missing {label}' END"
            )
        if col.level == schema.REQUIRED:
            guards.append(f"{col.name} IS NULL")  # a blank types to NULL
        elif err is not None:
            guards.append(f"({col.name} IS NULL AND {c} IS NOT NULL)")
    return _Exprs(values, reasons, params, date_fmt, amount_fmts, fast, guards)


#: Three steps: typed values beside the raw columns; reasons from the typed values; the raw line
#: text only for rejected rows. The reason texts are worked out only on the rows that may have
#: one (``REASON_GUARD``): a required column typed to NULL (a blank or a value that does not
#: read, for both type to NULL), an optional one typed to NULL from a non-empty field, or every
#: column of a one-of group typed to NULL.
_TYPED_SQL = (
    "CREATE TABLE {typed} AS SELECT $file AS source_file, line_no, {names}, reason, "
    "CASE WHEN reason IS NOT NULL THEN {rawtext} END AS raw{extra} FROM ("
    "SELECT *, CASE WHEN {guard} THEN NULLIF(concat_ws('; ', {reasons}), '') END AS reason FROM ("
    "SELECT line_no, {rawcols}, {values} FROM {raw}))"
)


#: Whether reasons are worked out only where a checked column types to NULL (see ``_TYPED_SQL``);
#: a test turns it off to check that the reasons are the same either way.
REASON_GUARD = True


def raw_text_sql(ncols: int, prefix: str = "") -> str:
    """The raw line as shown in the rejected-rows report: the fields joined by " | "."""
    fields = ", ".join(f"coalesce({prefix}c{i}, '')" for i in range(ncols))
    return "concat_ws(' | ', " + fields + ")"


def _typed_statement(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, typed: str, source: str
) -> tuple[str, dict[str, object], _Exprs]:
    """The statement creating ``typed`` from the rows of ``source``, its parameters and its
    expressions (the formats are detected on the raw table)."""
    exprs = _typed_exprs(con, raw, mapping)
    reasons = exprs.reasons
    guards = list(exprs.guards)
    rawtext = raw_text_sql(len(raw.headers))
    table = schema.table_for(mapping.table)
    for group in table.one_of:
        present = [c for c in group if c in mapping.matches]
        checks = " AND ".join(
            f"{parse.text_sql('c' + str(mapping.matches[c].source_index))} IS NULL" for c in present
        )
        if checks:
            names = " or ".join(LABELS.get(c, c.replace("_", " ")) for c in group)
            reasons.append(f"CASE WHEN {checks} THEN 'missing {names}' END")
            guards.append("(" + " AND ".join(f"{c} IS NULL" for c in present) + ")")
    if not reasons:
        reasons = ["NULL"]
    guard = " OR ".join(guards) if REASON_GUARD else ""
    sql = _TYPED_SQL.format(
        typed=typed,
        names=", ".join(table.names),
        values=", ".join(exprs.values),
        reasons=", ".join(reasons),
        guard=guard or "TRUE",
        rawtext=rawtext,
        rawcols=", ".join(f"c{i}" for i in range(len(raw.headers))),
        extra=", FALSE AS due_date_imputed" if mapping.table == "invoices" else "",
        raw=source,
    )
    return sql, {"file": raw.info.name, **exprs.params}, exprs


def typed_table_sql(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, typed: str, source: str
) -> tuple[str, dict[str, object]]:
    """The statement and parameters that stage ``raw`` into ``typed``, its rows read from
    ``source`` (a table, or a parenthesised query, with the raw table's columns) instead of
    the raw table. The benchmark's floor times it straight from ``read_csv``: the least a
    load in one pass would do."""
    sql, params, _ = _typed_statement(con, raw, mapping, typed, source)
    return sql, params


def stage_file(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, typed: str
) -> StagedFile:
    """Type the raw table ``raw`` with ``mapping`` into the staging table ``typed``."""
    sql, params, exprs = _typed_statement(con, raw, mapping, typed, raw.table)
    con.execute(sql, params)
    staged = StagedFile(
        file=raw.info.name,
        table=mapping.table,
        typed=typed,
        headers=raw.headers,
        mapping=mapping,
        rows_read=raw.rows_read,
        structural_rejects=list(raw.rejects),
        notes=list(raw.info.notes)
        + (
            [
                f"no customer code column: the customer name ({mapping.matches['customer_name'].source_header}) is used as the customer key"
            ]
            if name_as_customer_id(mapping)
            else []
        ),
        date_format=exprs.date_fmt,
        amount_formats=exprs.amount_fmts,
        info=raw.info,
        raw_table=raw.table,
        fast_paths=exprs.fast,
    )
    _reject_totals_rows(con, staged)
    if mapping.table == "invoices":
        _impute_due_dates(con, typed)
    return staged


def _header_currency(s: StagedFile) -> str | None:
    """The currency named by the header of a file's amount column ("Betrag CHF")."""
    m = s.mapping
    if "amount" not in m.matches or "currency" not in schema.table_for(s.table).names:
        return None
    return currency_in_header(m.matches["amount"].source_header)


def _fill_currency(con: duckdb.DuckDBPyConnection, s: StagedFile, code: str) -> int:
    """Set ``code`` as the currency of the rows of ``s`` that name none; how many they were."""
    sql = "UPDATE " + s.typed + " SET currency = ? WHERE currency IS NULL"
    return int(con.execute(sql, [code]).fetchone()[0])


def currencies_from_headers(con: duckdb.DuckDBPyConnection, staged: list[StagedFile]) -> None:
    """A row that names no currency takes the one its amount header names ("Betrag CHF");
    then a payment that names none takes the invoices' currency when every invoice is in the
    same one (else a customer's cash would be in another currency than its invoices). Rows
    left without a currency count as EUR (kpi-spec). Every file so completed is noted."""
    for s in staged:
        code = _header_currency(s)
        if code is None or code == schema.DEFAULT_CURRENCY:  # what a row without one counts as
            continue
        n = _fill_currency(con, s, code)
        if n:
            header = s.mapping.matches["amount"].source_header
            s.notes.append(
                f"currency {code} for {n:,} rows naming none, from the header of the amount "
                f"column ({header})"
            )
    invoices = [s for s in staged if s.table == "invoices"]
    payments = [s for s in staged if s.table == "payments"]
    if not invoices or not payments:
        return
    union = " UNION ALL ".join(
        "SELECT DISTINCT COALESCE(currency, ?) AS c FROM " + s.typed + " WHERE reason IS NULL"
        for s in invoices
    )
    found = con.execute(
        "SELECT DISTINCT c FROM (" + union + ")", [schema.DEFAULT_CURRENCY] * len(invoices)
    ).fetchall()
    if len(found) != 1 or found[0][0] == schema.DEFAULT_CURRENCY:
        return
    shared = found[0][0]
    for s in payments:
        n = _fill_currency(con, s, shared)
        if n:
            s.notes.append(
                f"currency {shared} for {n:,} payments naming none, that of every invoice"
            )


def _reject_totals_rows(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> None:
    """A row that says "total" and lacks two or more required values is a totals row."""
    table = schema.table_for(staged.table)
    nulls = " + ".join("CAST(" + c + " IS NULL AS INTEGER)" for c in table.required)
    sql = (
        "UPDATE " + staged.typed + " SET reason = 'a totals row, not a document' "
        "WHERE (" + nulls + ") >= 2 AND regexp_matches(lower(raw), '(^|[^a-z])(sous-)?totaux?"
        "([^a-z]|$)|(^|[^a-z])(grand |sub ?)?totals?([^a-z]|$)')"
    )
    con.execute(sql)


def _impute_due_dates(con: duckdb.DuckDBPyConnection, typed: str) -> None:
    """Missing due date -> invoice date + 30 days (kpi-spec §2), flagged by due_date_imputed."""
    sql = (
        "UPDATE " + typed + " SET due_date = invoice_date + CAST(? AS INTEGER), "
        "due_date_imputed = TRUE WHERE due_date IS NULL AND invoice_date IS NOT NULL "
        "AND reason IS NULL"
    )
    con.execute(sql, [schema.DEFAULT_TERMS_DAYS])


def reject_duplicates(con: duckdb.DuckDBPyConnection, staged: list[StagedFile]) -> None:
    """Reject the second and later rows of a duplicate invoice id or customer id.

    Duplicates are looked for across every file of the same table in the upload set, in file
    order then line order; the reason names where the first occurrence is.
    """
    for table_name, key in UNIQUE_KEYS.items():
        files = [s for s in staged if s.table == table_name]
        if not files:
            continue
        union = " UNION ALL ".join(
            "SELECT "
            + str(i)
            + " AS file_order, source_file, line_no, "
            + key
            + " AS k FROM "
            + s.typed
            + " WHERE reason IS NULL"
            for i, s in enumerate(files)
        )
        ranked = (
            "CREATE TABLE _dups AS SELECT * FROM (SELECT file_order, line_no, k, "
            "first_value(source_file) OVER w AS first_file, first_value(file_order) OVER w "
            "AS first_order, first_value(line_no) OVER w AS "
            "first_line, row_number() OVER w AS rn FROM (" + union + ") "
            "WINDOW w AS (PARTITION BY k ORDER BY file_order, line_no)) WHERE rn > 1"
        )
        con.execute("DROP TABLE IF EXISTS _dups")
        con.execute(ranked)
        label = LABELS[key]
        for i, s in enumerate(files):
            if s.raw_table is None:
                raw_set, raw_from, raw_where = "", "", ""
            else:
                raw_set = ", raw = " + raw_text_sql(len(s.headers), "r.")
                raw_from = ", " + s.raw_table + " r"
                raw_where = " AND r.line_no = t.line_no"
            sql = (
                "UPDATE " + s.typed + " AS t SET reason = 'duplicate " + label + " ' || d.k || "
                "' (first on line ' || d.first_line || CASE WHEN d.first_order <> d.file_order "
                "THEN ' of ' || d.first_file ELSE '' END || ')'"
                + raw_set
                + " FROM _dups d"
                + raw_from
                + " WHERE d.file_order = ? AND d.line_no = t.line_no"
                + raw_where
            )
            con.execute(sql, [i])
        con.execute("DROP TABLE _dups")


@dataclass(frozen=True)
class FileCounts:
    file: str
    table: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    amount_read: Decimal | None
    amount_loaded: Decimal | None
    amount_rejected: Decimal | None


def counts(con: duckdb.DuckDBPyConnection, s: StagedFile) -> FileCounts:
    """Rows and control totals of one staged file (``amount`` where the table has one)."""
    has_amount = "amount" in schema.table_for(s.table).names
    amount = "amount" if has_amount else "CAST(NULL AS DECIMAL(18,2))"
    sql = (
        "SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NOT NULL), "
        "sum(" + amount + "), sum(" + amount + ") FILTER (WHERE reason IS NULL), "
        "sum(" + amount + ") FILTER (WHERE reason IS NOT NULL) FROM " + s.typed
    )
    good, bad, total, loaded, rejected = con.execute(sql).fetchone()
    zero = Decimal("0.00") if has_amount else None
    return FileCounts(
        file=s.file,
        table=s.table,
        rows_read=s.rows_read,
        rows_loaded=int(good),
        rows_rejected=int(bad) + len(s.structural_rejects),
        amount_read=(total if total is not None else zero),
        amount_loaded=(loaded if loaded is not None else zero),
        amount_rejected=(rejected if rejected is not None else zero),
    )


# Flags on loaded rows: (table, flag, condition over the typed table, detail expression)
_ROW_FLAGS = (
    (
        "invoices",
        "due date before invoice date",
        "due_date < invoice_date",
        "'due ' || strftime(due_date, '%Y-%m-%d') || ', invoiced ' || strftime(invoice_date, '%Y-%m-%d')",
    ),
    (
        "invoices",
        "settlement before invoice date",
        "settled_date < invoice_date",
        "'settled ' || strftime(settled_date, '%Y-%m-%d') || ', invoiced ' || strftime(invoice_date, '%Y-%m-%d')",
    ),
    (
        "invoices",
        "missing due date (invoice date + 30 days used)",
        "due_date_imputed",
        "'invoice ' || invoice_id",
    ),
    (
        "invoices",
        "amount excluding tax larger than amount",
        "abs(amount_excl_tax) > abs(amount)",
        "'invoice ' || invoice_id",
    ),
    ("payments", "negative payment", "amount < 0", "'amount ' || amount"),
)


def flag_rows(con: duckdb.DuckDBPyConnection, staged: list[StagedFile]) -> str:
    """Build the TEMP table ``_flags`` (source_file, table_name, line_no, flag, detail)."""
    con.execute(
        "CREATE OR REPLACE TABLE _flags (source_file VARCHAR, table_name VARCHAR, "
        "line_no BIGINT, flag VARCHAR, detail VARCHAR)"
    )
    for s in staged:
        for table, flag, cond, detail in _ROW_FLAGS:
            if table != s.table:
                continue
            sql = (
                "INSERT INTO _flags SELECT source_file, ?, line_no, ?, "
                + detail
                + " FROM "
                + s.typed
                + " WHERE reason IS NULL AND ("
                + cond
                + ")"
            )
            con.execute(sql, [s.table, flag])
        for note in s.notes:
            con.execute(
                "INSERT INTO _flags VALUES (?, ?, NULL, 'note', ?)", [s.file, s.table, note]
            )
        if s.date_format is not None and s.date_format.ambiguous:
            con.execute(
                "INSERT INTO _flags VALUES (?, ?, NULL, 'ambiguous date order', ?)",
                [s.file, s.table, describe_date_format(s.date_format)],
            )
    invoices = [s for s in staged if s.table == "invoices"]
    if invoices:
        inv_union = " UNION ALL ".join(
            "SELECT invoice_id, currency FROM " + s.typed + " WHERE reason IS NULL"
            for s in invoices
        )
        currencies = (
            con.execute(
                "SELECT list(DISTINCT coalesce(currency, 'EUR') ORDER BY coalesce(currency, 'EUR')) "
                "FROM (" + inv_union + ")"
            ).fetchone()[0]
            or []
        )
        if len(currencies) > 1:
            con.execute(
                "INSERT INTO _flags VALUES ('*', 'invoices', NULL, 'several currencies', ?)",
                ["figures are shown per currency: " + ", ".join(currencies)],
            )
        payments = [s for s in staged if s.table == "payments"]
        paid = (
            payments
            and con.execute(
                "SELECT EXISTS ("
                + " UNION ALL ".join(
                    "SELECT 1 FROM " + s.typed + " WHERE reason IS NULL" for s in payments
                )
                + ")"
            ).fetchone()[0]
        )
        if not paid and not any("settled_date" in s.mapping.matches for s in invoices):
            con.execute(
                "INSERT INTO _flags VALUES ('*', 'invoices', NULL, 'no payment information', ?)",
                [
                    "no payment loaded and no settlement date column: every invoice counts as "
                    "unpaid (right for an open-items export, not for a full ledger)"
                ],
            )
        for s in staged:
            if s.table not in ("payments", "write_offs") or "invoice_id" not in s.mapping.matches:
                continue
            # An anti join (not NOT EXISTS) so that DuckDB may spill it to disk.
            sql = (
                "INSERT INTO _flags SELECT t.source_file, ?, t.line_no, "
                "'refers to an invoice not in the ledger', 'invoice ' || t.invoice_id FROM "
                + s.typed
                + " t ANTI JOIN ("
                + inv_union
                + ") i ON i.invoice_id = t.invoice_id "
                "WHERE t.reason IS NULL AND t.invoice_id IS NOT NULL"
            )
            con.execute(sql, [s.table])
    return "_flags"


def describe_date_format(fmt: parse.DateFormat) -> str:
    order = {"dmy": "day first (dd/mm/yyyy)", "mdy": "month first (mm/dd/yyyy)", "ymd": "ISO"}
    text = "dates read " + order.get(fmt.order, fmt.order)
    if fmt.ambiguous:
        text += (
            f"; no day above 12 settled the order ({fmt.dmy_votes} day-first and "
            f"{fmt.mdy_votes} month-first clues): check a few dates"
        )
    return text
