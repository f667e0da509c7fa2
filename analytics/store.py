"""The DuckDB workspace: one file on disk holding every loaded dataset.

A dataset is one upload set (an invoices file and, optionally, payments, customers and
write-offs). It is written in one transaction: all of it or nothing, so that the datasets
already there stay intact whatever happens to a new load.

The workspace file is ``$ENCOURS_WORKSPACE`` when set, else ``workspace/encours.duckdb`` under
the project directory.

Once the file is attached, the connection is sandboxed: ``enable_external_access = false``
(no file, extension or network access from SQL run on the workspace: ``read_csv``, ``COPY``,
``ATTACH``, replacement scans of Python variables all fail) and ``lock_configuration = true``
(no SQL can undo that). Source files are read by the pipeline on a connection of its own.

Only one process can open a workspace file (DuckDB holds a file lock; the second process gets
a :class:`WorkspaceError` saying the workspace is in use). Within a process, writes go through
``Workspace.write_lock``, so that concurrent sessions load their datasets one after the other.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from analytics import itemcache, schema

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_WORKSPACE = PROJECT_DIR / "workspace" / "encours.duckdb"

DATASETS_DDL = """
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    source_files VARCHAR NOT NULL,
    mappings VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
)
"""

REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS rejected_rows (
    dataset_id INTEGER NOT NULL,
    source_file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    line_no BIGINT,
    reason VARCHAR NOT NULL,
    raw VARCHAR
)
"""

FLAGS_DDL = """
CREATE TABLE IF NOT EXISTS quality_flags (
    dataset_id INTEGER NOT NULL,
    source_file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    line_no BIGINT,
    flag VARCHAR NOT NULL,
    detail VARCHAR
)
"""


class WorkspaceError(Exception):
    """The workspace cannot be opened or written (locked by another process, unreadable)."""


#: Settings that sandbox a workspace connection, in the order they are applied.
SANDBOX_SETTINGS = (("enable_external_access", False), ("lock_configuration", True))

_SETTING_SQL = "SELECT current_setting(?)"
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock_for(path: Path) -> threading.RLock:
    """One lock per workspace file in this process (every ``:memory:`` workspace has its own)."""
    if str(path) == ":memory:":
        return threading.RLock()
    key = str(path.resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())


_LOCK_HOLDER = re.compile(r"PID (\d+)")


def sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """Forbid file, extension and network access from SQL on ``con``, and lock its settings.

    Settings belong to the database instance: a second connection to a file this process
    already opened finds them applied and locked, which is checked rather than set again.
    """
    locked = con.execute(_SETTING_SQL, ["lock_configuration"]).fetchall()[0][0]
    if not locked:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    for setting, wanted in SANDBOX_SETTINGS:
        if con.execute(_SETTING_SQL, [setting]).fetchall()[0][0] != wanted:
            raise WorkspaceError(
                f"the workspace connection cannot be sandboxed ({setting} is not {wanted})"
            )


def _lock_message(path: Path, msg: str) -> str:
    holder = _LOCK_HOLDER.search(msg)
    who = f" (process {holder.group(1)})" if holder else ""
    return (
        f"the workspace {path.name} is in use by another Encours process{who}; "
        "close it or set ENCOURS_WORKSPACE to another file"
    )


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


#: The smallest ``ENCOURS_MEMORY_LIMIT`` accepted: under it DuckDB runs out of memory on the
#: bundled sample's figures (measured: 96 MiB fails, 128 MiB computes them).
MIN_MEMORY_LIMIT_MIB = 128


def memory_limit() -> str | None:
    """DuckDB memory limit of every connection Encours opens, from ``ENCOURS_MEMORY_LIMIT``
    ("4GB", "512MiB"; DuckDB's units: KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of
    1024). Beyond it DuckDB spills to disk (out of core). None when unset; WorkspaceError
    naming the variable when it is not a size."""
    value = os.environ.get("ENCOURS_MEMORY_LIMIT", "").strip()
    if not value:
        return None
    match = _SIZE.fullmatch(value)
    if not match:
        raise WorkspaceError(
            f"ENCOURS_MEMORY_LIMIT={value!r} is not a memory size (for example 4GB or 512MiB)"
        )
    if match.group(2) is None:
        raise WorkspaceError(
            f"ENCOURS_MEMORY_LIMIT={value!r} has no unit (for example 4GB or 512MiB)"
        )
    if _bytes(match) < MIN_MEMORY_LIMIT_MIB * 2**20:
        raise WorkspaceError(
            f"ENCOURS_MEMORY_LIMIT={value!r} is below {MIN_MEMORY_LIMIT_MIB} MiB, the least "
            "memory Encours computes its figures in"
        )
    return value


def _bytes(match: re.Match[str]) -> float:
    number, unit = match.groups()
    return float(number) * _UNITS[(unit or "b").lower()]


def memory_limit_mib() -> int | None:
    """:func:`memory_limit` in MiB (rounded down, at least 1)."""
    value = memory_limit()
    if value is None:
        return None
    match = _SIZE.fullmatch(value)
    assert match is not None  # checked by memory_limit()
    return int(_bytes(match)) // 2**20


def workspace_path() -> Path:
    env = os.environ.get("ENCOURS_WORKSPACE")
    return Path(env).expanduser() if env else DEFAULT_WORKSPACE


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables and the bookkeeping tables when missing."""
    for table in schema.TABLES.values():
        con.execute(schema.create_table_sql(table))
    con.execute(DATASETS_DDL)
    con.execute(REJECTS_DDL)
    con.execute(FLAGS_DDL)


@dataclass(frozen=True)
class DatasetInfo:
    dataset_id: int
    name: str
    sha256: str
    source_files: list[dict]
    mappings: dict
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    loaded_at: datetime


def _dataset_from_row(row: tuple) -> DatasetInfo:
    return DatasetInfo(
        dataset_id=row[0],
        name=row[1],
        sha256=row[2],
        source_files=json.loads(row[3]),
        mappings=json.loads(row[4]),
        rows_read=row[5],
        rows_loaded=row[6],
        rows_rejected=row[7],
        loaded_at=row[8],
    )


_DATASET_COLUMNS = (
    "dataset_id, name, sha256, source_files, mappings, rows_read, rows_loaded, "
    "rows_rejected, loaded_at"
)


def _check_file_backed(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """WorkspaceError unless ``con``'s database is the file ``path``: DuckDB opens a file named
    like data (``.csv``, ``.parquet``, ``.json``...) as an in-memory database with a view of
    it, where a load would seem to succeed and be lost when the process ends."""
    found = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if found is None or found[0] is None:
        raise WorkspaceError(
            f"the workspace {path.name} is not a database file: DuckDB opens a file named "
            "like this as data; give the workspace a name ending in .duckdb"
        )


class Workspace:
    """A DuckDB workspace file, sandboxed once attached. Use ``cursor()`` per query or thread.

    ``write_lock`` (one per file in this process) serialises the writes of the threads
    (Streamlit sessions) of this process: ``write_dataset`` and ``delete_dataset`` hold it;
    hold it around any other write.

    ``derive=False`` keeps the open-items cache but no rows derived from it
    (:func:`analytics.itemcache.derived`), for a process that asks each figure once.
    """

    def __init__(
        self, path: str | Path | None = None, *, read_only: bool = False, derive: bool = True
    ):
        self.path = Path(path) if path is not None else workspace_path()
        if str(self.path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = (
                    "a file is in the way"
                    if isinstance(exc, (FileExistsError, NotADirectoryError))
                    else exc.strerror
                )
                raise WorkspaceError(
                    f"the workspace {self.path} cannot be created: its folder "
                    f"{self.path.parent} cannot be made ({why})"
                ) from None
        self.write_lock = _write_lock_for(self.path)
        limit = memory_limit()
        config = {"memory_limit": limit} if limit else {}
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.Error as exc:  # IOException (locked, not a database), Catalog...
            msg = str(exc)
            if isinstance(exc, duckdb.IOException) and "lock" in msg.lower():
                raise WorkspaceError(_lock_message(self.path, msg)) from None
            raise WorkspaceError(
                f"the workspace {self.path.name} cannot be opened: {msg}"
            ) from None
        try:
            if str(self.path) != ":memory:":
                _check_file_backed(self.con, self.path)
            itemcache.enable(self.con, derive=derive)
            sandbox(self.con)
            if not read_only:
                ensure_schema(self.con)
        except Exception:
            self.con.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            itemcache.disable(self.con)
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- datasets -------------------------------------------------------------------------
    def datasets(self) -> list[DatasetInfo]:
        sql = "SELECT " + _DATASET_COLUMNS + " FROM datasets ORDER BY dataset_id"
        return [_dataset_from_row(r) for r in self.cursor().execute(sql).fetchall()]

    def dataset(self, dataset_id: int) -> DatasetInfo | None:
        sql = "SELECT " + _DATASET_COLUMNS + " FROM datasets WHERE dataset_id = ?"
        row = self.cursor().execute(sql, [dataset_id]).fetchone()
        return _dataset_from_row(row) if row else None

    def find_by_sha256(self, sha256: str) -> DatasetInfo | None:
        sql = "SELECT " + _DATASET_COLUMNS + " FROM datasets WHERE sha256 = ?"
        row = self.cursor().execute(sql, [sha256]).fetchone()
        return _dataset_from_row(row) if row else None

    def delete_dataset(self, dataset_id: int) -> bool:
        """Delete a dataset and everything loaded with it, in one transaction."""
        with self.write_lock:
            try:
                return self._delete_dataset(dataset_id)
            finally:
                itemcache.forget(self.con, dataset_id)

    def _delete_dataset(self, dataset_id: int) -> bool:
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            found = cur.execute(
                "SELECT count(*) FROM datasets WHERE dataset_id = ?", [dataset_id]
            ).fetchone()[0]
            for name in (*schema.TABLES, "rejected_rows", "quality_flags", "datasets"):
                sql = "DELETE FROM " + name + " WHERE dataset_id = ?"
                cur.execute(sql, [dataset_id])
            cur.execute("COMMIT")
        except Exception:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        return bool(found)

    def write_dataset(
        self,
        *,
        name: str,
        sha256: str,
        source_files: list[dict],
        mappings: dict,
        rows_read: int,
        rows_loaded: int,
        rows_rejected: int,
        tables: dict[str, object],
        rejects: object | None,
        flags: object | None,
        expected: dict[str, tuple[int, Decimal | None]] | None = None,
    ) -> int:
        """Write a staged dataset in one transaction and return its id.

        ``tables`` maps canonical table names to Arrow tables or record-batch readers whose
        columns are the canonical columns (any subset, by name) plus ``source_file`` and
        ``line_no``. ``rejects`` and ``flags`` are Arrow data with the columns of
        ``rejected_rows`` and ``quality_flags`` (without ``dataset_id``). ``expected`` gives,
        per table, the row count and amount total that must be found once written; a mismatch
        rolls the whole dataset back. Holds ``write_lock``.
        """
        with self.write_lock:
            dataset_id = self._write_dataset(
                name=name,
                sha256=sha256,
                source_files=source_files,
                mappings=mappings,
                rows_read=rows_read,
                rows_loaded=rows_loaded,
                rows_rejected=rows_rejected,
                tables=tables,
                rejects=rejects,
                flags=flags,
                expected=expected,
            )
            # A dataset id freed by a deletion may be given again: nothing cached under it
            # may survive.
            itemcache.forget(self.con, dataset_id)
            return dataset_id

    def _write_dataset(
        self,
        *,
        name: str,
        sha256: str,
        source_files: list[dict],
        mappings: dict,
        rows_read: int,
        rows_loaded: int,
        rows_rejected: int,
        tables: dict[str, object],
        rejects: object | None,
        flags: object | None,
        expected: dict[str, tuple[int, Decimal | None]] | None,
    ) -> int:
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            dataset_id = cur.execute(
                "SELECT coalesce(max(dataset_id), 0) + 1 FROM datasets"
            ).fetchone()[0]
            cur.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    dataset_id,
                    name,
                    sha256,
                    json.dumps(source_files, ensure_ascii=False),
                    json.dumps(mappings, ensure_ascii=False),
                    rows_read,
                    rows_loaded,
                    rows_rejected,
                    datetime.now().replace(microsecond=0),
                ],
            )
            for table_name, data in tables.items():
                table = schema.table_for(table_name)
                _insert(cur, table.name, data, dataset_id, _target_columns(table, data))
            if rejects is not None:
                _insert(cur, "rejected_rows", rejects, dataset_id, _columns_of(rejects))
            if flags is not None:
                _insert(cur, "quality_flags", flags, dataset_id, _columns_of(flags))
            for table_name, (rows, amount) in (expected or {}).items():
                _verify(cur, schema.table_for(table_name), dataset_id, rows, amount)
            cur.execute("COMMIT")
        except Exception:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        return dataset_id

    # -- read helpers for the pages ----------------------------------------------------------
    def rejected_rows(self, dataset_id: int):
        sql = (
            "SELECT source_file, table_name, line_no, reason, raw FROM rejected_rows "
            "WHERE dataset_id = ? ORDER BY source_file, line_no"
        )
        return self.cursor().execute(sql, [dataset_id]).df()

    def quality_flags(self, dataset_id: int):
        sql = (
            "SELECT source_file, table_name, line_no, flag, detail FROM quality_flags "
            "WHERE dataset_id = ? ORDER BY flag, source_file, line_no"
        )
        return self.cursor().execute(sql, [dataset_id]).df()


class ReconciliationError(WorkspaceError):
    """What was written does not match what was staged; the load was rolled back."""


def _verify(
    cur: duckdb.DuckDBPyConnection,
    table: schema.Table,
    dataset_id: int,
    rows: int,
    amount: Decimal | None,
) -> None:
    total = "sum(amount)" if "amount" in table.names else "NULL"
    sql = "SELECT count(*), " + total + " FROM " + table.name + " WHERE dataset_id = ?"
    got_rows, got_amount = cur.execute(sql, [dataset_id]).fetchone()
    got_amount = (
        got_amount if got_amount is not None else (Decimal("0.00") if amount is not None else None)
    )
    if got_rows != rows or (amount is not None and got_amount != amount):
        raise ReconciliationError(
            f"{table.name}: {got_rows} rows / {got_amount} written, {rows} rows / {amount} "
            "expected; nothing was loaded"
        )


def _columns_of(data: object) -> list[str]:
    names = getattr(data, "column_names", None)
    if names is None:
        names = data.schema.names  # RecordBatchReader
    return list(names)


def _target_columns(table: schema.Table, data: object) -> list[str]:
    allowed = {"source_file", "line_no", *table.names}
    if table.name == "invoices":
        allowed.add("due_date_imputed")
    cols = _columns_of(data)
    unknown = [c for c in cols if c not in allowed]
    if unknown:
        raise ValueError(f"{table.name}: unexpected columns {unknown}")
    return cols


def _insert(
    cur: duckdb.DuckDBPyConnection, target: str, data: object, dataset_id: int, cols: Iterable[str]
) -> None:
    """INSERT the Arrow data into ``target``; identifiers were checked against the schema."""
    cols = list(cols)
    cur.register("_staged_data", data)
    try:
        sql = (
            "INSERT INTO " + target + " (dataset_id, " + ", ".join(cols) + ") "
            "SELECT ?, " + ", ".join(cols) + " FROM _staged_data"
        )
        cur.execute(sql, [dataset_id])
    finally:
        cur.unregister("_staged_data")
