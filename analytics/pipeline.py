"""From files on disk to a dataset in the workspace: sniff, read, map, stage, store.

Staging runs in a private in-memory DuckDB; only rows that passed validation, the rejected
rows with their reasons and the quality flags reach the workspace, in one transaction, and
only after the counts and control totals reconcile. Any failure leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from analytics import ingest, mapping, quality, schema
from analytics.store import Workspace


class LoadError(Exception):
    """A load that cannot give a dataset; the message names the file (and row/column)."""


@dataclass(frozen=True)
class InputFile:
    """A file to load: its path, the name shown to the user, and the user's choices."""

    path: Path
    name: str | None = None
    table: str | None = None  # force the canonical table
    mapping: mapping.Mapping | None = None  # the user's mapping (overrides everything)
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    #: The user's column choices, by canonical table: {"invoices": {"amount": "Montant TTC"}}.
    overrides: dict[str, dict[str, str]] | None = None

    @property
    def display_name(self) -> str:
        return self.name or Path(self.path).name


@dataclass
class FileReport:
    file: str
    table: str
    kind: str
    encoding: str | None
    separator: str | None
    header_row: int
    sheet: str | None
    mapping: mapping.Mapping
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    amount_read: Decimal | None
    amount_loaded: Decimal | None
    amount_rejected: Decimal | None
    notes: list[str]
    sha256: str


@dataclass
class LoadReport:
    dataset_id: int
    name: str
    files: list[FileReport]
    already_loaded: bool = False
    flags: int = 0
    rejects_preview: list[dict] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dataset_sha256(hashes: list[str]) -> str:
    """Hash of an upload set: independent of the order the files were given in."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def _choose_mapping(
    f: InputFile, headers: list[str], saved_con: duckdb.DuckDBPyConnection | None
) -> mapping.Mapping:
    if f.mapping is not None:
        return f.mapping
    m = None
    if saved_con is not None:
        saved = mapping.load(saved_con, headers)
        if saved is not None and (f.table is None or saved.table == f.table):
            m = saved
    if m is None:
        m = mapping.propose(headers, f.table)
    for column, header in ((f.overrides or {}).get(m.table) or {}).items():
        if column not in schema.table_for(m.table).names:
            raise LoadError(f"{f.display_name}: the mapping names an unknown column {column!r}")
        if header not in headers:
            raise LoadError(
                f"{f.display_name}: the mapping names a column {header!r} that the file "
                "does not have"
            )
        m = m.with_override(column, header)
    return m


def stage_files(
    files: list[InputFile],
    saved_con: duckdb.DuckDBPyConnection | None = None,
    hashes: list[str] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, list[quality.StagedFile], list[str]]:
    """Read, map and stage every file in a private in-memory DuckDB.

    Returns the staging connection, the staged files and their sha256. Raises ``LoadError``
    (or ``ingest.IngestError``) with a message naming the file when a file cannot be used.
    """
    if not files:
        raise LoadError("no file to load")
    con = duckdb.connect(":memory:")
    staged: list[quality.StagedFile] = []
    if hashes is None:
        hashes = [sha256_of(Path(f.path)) for f in files]
    try:
        for i, f in enumerate(files):
            path = Path(f.path)
            info = ingest.sniff(
                path,
                name=f.display_name,
                encoding=f.encoding,
                separator=f.separator,
                sheet=f.sheet,
            )
            raw = ingest.read_raw(con, info, f"raw_{i}")
            m = _choose_mapping(f, raw.headers, saved_con)
            if quality.missing_required(m):
                skip = ["customer_id"] if quality.name_as_customer_id(m) else []
                raise LoadError(f"{info.name}: " + "; ".join(m.problems(skip)))
            if raw.rows_read == 0:
                raise LoadError(f"{info.name}: the file has a header but no data rows")
            staged.append(quality.stage_file(con, raw, m, f"typed_{i}"))
        if not any(s.table == "invoices" for s in staged):
            names = ", ".join(f"{s.file} ({s.table})" for s in staged)
            raise LoadError(f"no invoices file among {names}: the ledger needs one")
        quality.reject_duplicates(con, staged)
    except Exception:
        con.close()
        raise
    return con, staged, hashes


def _good_rows_sql(table: schema.Table, files: list[quality.StagedFile]) -> str:
    cols = ["source_file", "line_no", *table.names]
    if table.name == "invoices":
        cols.append("due_date_imputed")
    select = ", ".join(cols)
    return " UNION ALL ".join(
        "SELECT " + select + " FROM " + s.typed + " WHERE reason IS NULL" for s in files
    )


def _rejects_sql(staged: list[quality.StagedFile]) -> str:
    parts = [
        "SELECT source_file, '"
        + s.table
        + "' AS table_name, line_no, reason, raw FROM "
        + s.typed
        + " WHERE reason IS NOT NULL"
        for s in staged
    ]
    parts.append("SELECT source_file, table_name, line_no, reason, raw FROM _structural")
    return " UNION ALL ".join(parts) + " ORDER BY source_file, line_no"


def write_staged(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    staged: list[quality.StagedFile],
    hashes: list[str],
    name: str,
) -> LoadReport:
    """Check the staged files reconcile, then write them as one dataset in one transaction."""
    file_counts = [quality.counts(con, s) for s in staged]
    for c in file_counts:
        if c.rows_read != c.rows_loaded + c.rows_rejected:
            raise LoadError(
                f"{c.file}: {c.rows_read} rows read but {c.rows_loaded} loaded and "
                f"{c.rows_rejected} rejected; nothing was loaded"
            )
        if c.amount_read is not None and c.amount_read != c.amount_loaded + c.amount_rejected:
            raise LoadError(f"{c.file}: the control total of amounts does not reconcile")
    con.execute(
        "CREATE OR REPLACE TABLE _structural (source_file VARCHAR, table_name VARCHAR, "
        "line_no BIGINT, reason VARCHAR, raw VARCHAR)"
    )
    structural = [
        (s.file, s.table, r.line_no, r.reason, r.raw) for s in staged for r in s.structural_rejects
    ]
    if structural:
        con.executemany("INSERT INTO _structural VALUES (?, ?, ?, ?, ?)", structural)
    flags_table = quality.flag_rows(con, staged)

    tables: dict[str, object] = {}
    expected: dict[str, tuple[int, Decimal | None]] = {}
    for table in schema.TABLES.values():
        files = [s for s in staged if s.table == table.name]
        if not files:
            continue
        tables[table.name] = con.cursor().sql(_good_rows_sql(table, files)).to_arrow_reader()
        rows = sum(c.rows_loaded for c in file_counts if c.table == table.name)
        amount = None
        if "amount" in table.names:
            amount = sum(
                (c.amount_loaded for c in file_counts if c.table == table.name), Decimal("0.00")
            )
        expected[table.name] = (rows, amount)
    rejects = con.cursor().sql(_rejects_sql(staged)).to_arrow_table()
    flags = con.cursor().sql("SELECT * FROM " + flags_table).to_arrow_table()
    reports = [
        FileReport(
            file=s.file,
            table=s.table,
            kind=s.info.kind,
            encoding=s.info.encoding,
            separator=s.info.separator,
            header_row=s.info.header_row,
            sheet=s.info.sheet,
            mapping=s.mapping,
            rows_read=c.rows_read,
            rows_loaded=c.rows_loaded,
            rows_rejected=c.rows_rejected,
            amount_read=c.amount_read,
            amount_loaded=c.amount_loaded,
            amount_rejected=c.amount_rejected,
            notes=s.notes,
            sha256=h,
        )
        for s, c, h in zip(staged, file_counts, hashes, strict=True)
    ]
    dataset_id = ws.write_dataset(
        name=name,
        sha256=dataset_sha256(hashes),
        source_files=[
            {
                "file": r.file,
                "table": r.table,
                "sha256": r.sha256,
                "rows_read": r.rows_read,
                "rows_loaded": r.rows_loaded,
                "rows_rejected": r.rows_rejected,
            }
            for r in reports
        ],
        mappings={r.file: json_mapping(r.mapping) for r in reports},
        rows_read=sum(r.rows_read for r in reports),
        rows_loaded=sum(r.rows_loaded for r in reports),
        rows_rejected=sum(r.rows_rejected for r in reports),
        tables=tables,
        rejects=rejects,
        flags=flags,
        expected=expected,
    )
    n_flags = con.execute("SELECT count(*) FROM " + flags_table).fetchone()[0]
    return LoadReport(dataset_id=dataset_id, name=name, files=reports, flags=int(n_flags))


def json_mapping(m: mapping.Mapping) -> dict:
    return {"table": m.table, "columns": {c: x.source_header for c, x in m.matches.items()}}


def load_files(ws: Workspace, files: list[InputFile], name: str | None = None) -> LoadReport:
    """Load an upload set into the workspace as one dataset (or find it already there)."""
    hashes = [sha256_of(Path(f.path)) for f in files]
    existing = ws.find_by_sha256(dataset_sha256(hashes)) if files else None
    if existing is not None:
        return LoadReport(
            dataset_id=existing.dataset_id, name=existing.name, files=[], already_loaded=True
        )
    con, staged, hashes = stage_files(files, saved_con=ws.cursor(), hashes=hashes)
    try:
        report = write_staged(
            ws, con, staged, hashes, name or ", ".join(f.display_name for f in files)
        )
    finally:
        con.close()
    cur = ws.cursor()
    for s in staged:
        mapping.save(cur, s.headers, s.mapping)
    return report
