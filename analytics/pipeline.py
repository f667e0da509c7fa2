"""From files on disk to a dataset in the workspace: sniff, read, map, stage, store.

Staging runs in a private in-memory DuckDB; only rows that passed validation, the rejected
rows with their reasons and the quality flags reach the workspace, in one transaction, and
only after the counts and control totals reconcile. Any failure leaves the workspace as it was.

Bounded parsing: a source file is untrusted input. ``load_files`` and ``preview_file`` parse it
in a child process (``python -c``, its own interpreter) with limits on its address space
(RLIMIT_AS), CPU time (RLIMIT_CPU), the size of any file it writes (RLIMIT_FSIZE) and its
wall-clock time, after checking the size of every file. The child writes the staged rows as
Arrow IPC files in a private temporary folder; this process reads them and writes the dataset
into the workspace. A hostile file can exhaust only the child, which is then killed, and the
load fails with a :class:`LoadError` naming the file and the limit.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from analytics import ingest, mapping, quality, schema
from analytics.store import Workspace, memory_limit_mib

# -- Limits of one load -------------------------------------------------------------------------
#: Largest source file accepted, MiB (Streamlit's ``server.maxUploadSize`` is 200 MB).
MAX_FILE_MIB = 512
#: Most columns a source file may have (ingest stops wider files while sniffing).
MAX_COLUMNS = ingest.MAX_COLUMNS
#: Wall-clock seconds the parsing child may run for one upload set.
PARSE_SECONDS = 600
#: CPU seconds of the parsing child (RLIMIT_CPU; DuckDB uses every core).
PARSE_CPU_SECONDS = 1200
#: Address space of the parsing child, MiB (RLIMIT_AS).
PARSE_MEMORY_MIB = 8192
#: Share of the address space DuckDB may use before it spills to disk in the child.
PARSE_DUCKDB_MEMORY_SHARE = 0.5
#: Largest file the parsing child may write, and its DuckDB spill space, MiB (RLIMIT_FSIZE).
PARSE_DISK_MIB = 8192

MIB = 1024 * 1024
#: A load whose files take more than 1/STAGING_FACTOR of the child's DuckDB memory would spill
#: its staging (every field as text, then typed: about three times the files' bytes at their
#: peak). It is staged in a database file of the job folder instead, which DuckDB compresses,
#: and its rows are handed over compressed and read back a batch at a time.
STAGING_FACTOR = 3
#: Compression of the Arrow files of a large load (``STAGING_FACTOR``).
LARGE_HANDOVER_COMPRESSION = "zstd"
PROJECT_DIR = Path(__file__).resolve().parent.parent
#: Arrow IPC targets of a staged dataset besides the canonical tables.
REJECTS, FLAGS = "rejected_rows", "quality_flags"


@dataclass(frozen=True)
class Limits:
    """The bounds of one parse; the defaults are the constants above."""

    max_file_mib: float = MAX_FILE_MIB
    max_columns: int = MAX_COLUMNS
    seconds: float = PARSE_SECONDS
    cpu_seconds: int = PARSE_CPU_SECONDS
    memory_mib: int = PARSE_MEMORY_MIB
    disk_mib: int = PARSE_DISK_MIB


DEFAULT_LIMITS = Limits()
#: Limits for files the user runs from the command line on their own machine (``--large``):
#: no size or width cap worth the name, a day of parsing, 64 GiB of address space and 1 TiB of
#: spill; the parse still runs in its own process.
LARGE_LIMITS = Limits(
    max_file_mib=1024 * 1024,
    max_columns=MAX_COLUMNS,
    seconds=24 * 3600,
    cpu_seconds=48 * 3600,
    memory_mib=64 * 1024,
    disk_mib=1024 * 1024,
)

#: Receives the stage a load reached: "parsing", "writing", "done".
Progress = Callable[[str], None]


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


def _looks_like_another_table(f: InputFile, headers: list[str], m: mapping.Mapping) -> str | None:
    """A note when a file was given as one table (``--payments``) but its headers are surely
    another's (an invoice file given as payments): loaded as asked, and said."""
    if f.table is None or f.mapping is not None:
        return None
    auto = mapping.propose(headers)
    if auto.table == m.table or auto.table_confidence < LOOKS_LIKE_CONFIDENCE:
        return None
    return (
        f"{TABLE_DOUBT} {m.table}, but its columns are those of {auto.table} "
        f"({auto.table_confidence:.0%} sure): check that this is the {m.table} file"
    )


#: How sure the automatic choice of table must be to question a table the user gave.
LOOKS_LIKE_CONFIDENCE = 0.9
#: The start of the note that questions it.
TABLE_DOUBT = "given as"


def stage_files(
    files: list[InputFile],
    saved_con: duckdb.DuckDBPyConnection | None = None,
    hashes: list[str] | None = None,
    *,
    max_columns: int = MAX_COLUMNS,
    config: dict[str, str] | None = None,
    on_file: Callable[[str], None] | None = None,
    database: str = ":memory:",
) -> tuple[duckdb.DuckDBPyConnection, list[quality.StagedFile], list[str]]:
    """Read, map and stage every file in a private DuckDB (in memory unless ``database`` names
    a new database file).

    Returns the staging connection, the staged files and their sha256. Raises ``LoadError``
    (or ``ingest.IngestError``) with a message naming the file when a file cannot be used,
    among others when it has more than ``max_columns`` columns. ``config`` is the DuckDB
    configuration of the staging connection; ``on_file`` receives each file's name before it
    is read.
    """
    if not files:
        raise LoadError("no file to load")
    con = duckdb.connect(database, config=config or {})
    if database != ":memory:":  # a scratch file: writing it out again on close is wasted
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
    staged: list[quality.StagedFile] = []
    if hashes is None:
        hashes = [sha256_of(Path(f.path)) for f in files]
    try:
        for i, f in enumerate(files):
            if on_file is not None:
                on_file(f.display_name)
            path = Path(f.path)
            info = ingest.sniff(
                path,
                name=f.display_name,
                encoding=f.encoding,
                separator=f.separator,
                sheet=f.sheet,
            )
            raw = ingest.read_raw(con, info, f"raw_{i}")
            if len(raw.headers) > max_columns:
                raise LoadError(
                    f"{info.name}: {len(raw.headers)} columns, more than the {max_columns} "
                    "columns a ledger file may have; nothing was loaded"
                )
            m = _choose_mapping(f, raw.headers, saved_con)
            looks_like = _looks_like_another_table(f, raw.headers, m)
            if looks_like is not None:
                raw.info.notes.append(looks_like)
            if quality.missing_required(m):
                skip = ["customer_id"] if quality.name_as_customer_id(m) else []
                problems = m.problems(skip) + ([looks_like] if looks_like else [])
                raise LoadError(f"{info.name}: " + "; ".join(problems))
            if raw.rows_read == 0:
                raise LoadError(f"{info.name}: the file has a header but no data rows")
            staged.append(quality.stage_file(con, raw, m, f"typed_{i}"))
        if not any(s.table == "invoices" for s in staged):
            names = ", ".join(f"{s.file} ({s.table})" for s in staged)
            raise LoadError(f"{names}: no invoices file among these, and the ledger needs one")
        quality.currencies_from_headers(con, staged)
        quality.reject_duplicates(con, staged)
        # The text of every rejected row is in its staged table: the raw tables, the largest
        # of the staging (every field as text), are no longer needed.
        for s in staged:
            if s.raw_table is not None:
                con.execute("DROP TABLE " + s.raw_table)
                s.raw_table = None
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


@dataclass
class _Prepared:
    """A reconciled staging: the reports, what must be found once written, and per target
    (canonical table, ``rejected_rows``, ``quality_flags``) the SELECT giving its rows."""

    reports: list[FileReport]
    expected: dict[str, tuple[int, Decimal | None]]
    sources: dict[str, str]
    flags: int
    headers: list[list[str]]


def _prepare(
    con: duckdb.DuckDBPyConnection, staged: list[quality.StagedFile], hashes: list[str]
) -> _Prepared:
    """Check the staged files reconcile; build the rejects and flags tables on ``con``."""
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

    sources: dict[str, str] = {}
    expected: dict[str, tuple[int, Decimal | None]] = {}
    for table in schema.TABLES.values():
        files = [s for s in staged if s.table == table.name]
        if not files:
            continue
        sources[table.name] = _good_rows_sql(table, files)
        rows = sum(c.rows_loaded for c in file_counts if c.table == table.name)
        amount = None
        if "amount" in table.names:
            amount = sum(
                (c.amount_loaded for c in file_counts if c.table == table.name), Decimal("0.00")
            )
        expected[table.name] = (rows, amount)
    sources[REJECTS] = _rejects_sql(staged)
    sources[FLAGS] = "SELECT * FROM " + flags_table
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
    n_flags = con.execute("SELECT count(*) FROM " + flags_table).fetchall()[0][0]
    return _Prepared(
        reports=reports,
        expected=expected,
        sources=sources,
        flags=int(n_flags),
        headers=[list(s.headers) for s in staged],
    )


def _write(
    ws: Workspace, prepared: _Prepared, data: dict[str, object], hashes: list[str], name: str
) -> LoadReport:
    """Write the staged rows ``data`` (Arrow, by target) as one dataset in one transaction."""
    reports = prepared.reports
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
        tables={t: data[t] for t in schema.TABLES if t in data},
        rejects=data[REJECTS],
        flags=data[FLAGS],
        expected=prepared.expected,
    )
    return LoadReport(dataset_id=dataset_id, name=name, files=reports, flags=prepared.flags)


def write_staged(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    staged: list[quality.StagedFile],
    hashes: list[str],
    name: str,
) -> LoadReport:
    """Check the staged files reconcile, then write them as one dataset in one transaction."""
    prepared = _prepare(con, staged, hashes)
    data = {t: con.cursor().sql(sql).to_arrow_reader() for t, sql in prepared.sources.items()}
    return _write(ws, prepared, data, hashes, name)


def json_mapping(m: mapping.Mapping) -> dict:
    return {"table": m.table, "columns": {c: x.source_header for c, x in m.matches.items()}}


def one_line(text: str) -> str:
    """``text`` as one line of plain text: tabs, line breaks and other control characters
    become spaces, and runs of spaces one space (a dataset name, listed one per line)."""
    return " ".join("".join(" " if c < " " or c == "\x7f" else c for c in text).split())


def distinct_names(files: list[InputFile]) -> list[InputFile]:
    """The files with a name of their own each: a name already taken by an earlier file of the
    set (two exports both called ``factures.csv``) gets `` (2)``, `` (3)``... so that every
    message, rejected row and duplicate names one file."""
    taken = {f.display_name for f in files}
    seen: set[str] = set()
    named = []
    for f in files:
        name = f.display_name
        if name in seen:
            n = 2
            while f"{name} ({n})" in taken:
                n += 1
            name = f"{name} ({n})"
            taken.add(name)
            f = replace(f, name=name)
        seen.add(name)
        named.append(f)
    return named


def check_sizes(files: list[InputFile], limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ``LoadError`` naming the first file that is missing or over the size limit."""
    for f in files:
        path = Path(f.path)
        if not path.is_file():
            raise LoadError(f"{f.display_name}: the file does not exist or is not a file")
        size = path.stat().st_size
        if size > limits.max_file_mib * MIB:
            raise LoadError(
                f"{f.display_name}: {size / MIB:.1f} MiB exceeded the {limits.max_file_mib:g} "
                "MiB limit for one file; nothing was loaded"
            )


def load_files(
    ws: Workspace,
    files: list[InputFile],
    name: str | None = None,
    *,
    bounded: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> LoadReport:
    """Load an upload set into the workspace as one dataset (or find it already there).

    ``bounded`` (the product's path) parses the files in a child process within ``limits``;
    ``bounded=False`` parses them in this process (same result, no isolation).
    """
    files = distinct_names(files)
    check_sizes(files, limits)
    hashes = [sha256_of(Path(f.path)) for f in files]
    existing = ws.find_by_sha256(dataset_sha256(hashes)) if files else None
    if existing is not None:
        return _already_loaded(existing.dataset_id, existing.name)
    name = one_line(name or "") or one_line(", ".join(f.display_name for f in files))
    _report(progress, "parsing")
    if bounded:
        report = _load_bounded(ws, files, hashes, name, limits, progress)
    else:
        con, staged, hashes = stage_files(
            files, saved_con=ws.cursor(), hashes=hashes, max_columns=limits.max_columns
        )
        try:
            prepared = _prepare(con, staged, hashes)
            data = {
                t: con.cursor().sql(sql).to_arrow_reader() for t, sql in prepared.sources.items()
            }
            report = _write_once(ws, prepared, data, hashes, name, progress)
        finally:
            con.close()
    _report(progress, "done")
    return report


def _already_loaded(dataset_id: int, name: str) -> LoadReport:
    return LoadReport(dataset_id=dataset_id, name=name, files=[], already_loaded=True)


def _report(progress: Progress | None, stage: str) -> None:
    if progress is not None:
        progress(stage)


def _write_once(
    ws: Workspace,
    prepared: _Prepared,
    data: dict[str, object],
    hashes: list[str],
    name: str,
    progress: Progress | None,
) -> LoadReport:
    """Write the dataset and save its mappings, unless a concurrent load of the same bytes
    wrote it first (then that dataset is the answer)."""
    with ws.write_lock:
        existing = ws.find_by_sha256(dataset_sha256(hashes))
        if existing is not None:
            return _already_loaded(existing.dataset_id, existing.name)
        _report(progress, "writing")
        report = _write(ws, prepared, data, hashes, name)
        cur = ws.cursor()
        for report_file, headers in zip(report.files, prepared.headers, strict=True):
            mapping.save(cur, headers, report_file.mapping)
    return report


# -- the parsing child ---------------------------------------------------------------------------

_CHILD_CODE = (
    "import sys; from analytics.pipeline import _child_main; sys.exit(_child_main(sys.argv[1]))"
)
_JOB, _RESULT, _STATE, _SAVED = "job.json", "result.json", "state.txt", "saved_mappings.arrow"


@dataclass(frozen=True)
class FilePreview:
    """What the Data page shows of an uploaded file before it is loaded."""

    name: str
    headers: list[str]
    rows: int
    notes: list[str]
    mapping: mapping.Mapping


def preview_file(ws: Workspace, f: InputFile, *, limits: Limits = DEFAULT_LIMITS) -> FilePreview:
    """Sniff and read ``f`` in a bounded child and propose its mapping (the saved one first)."""
    check_sizes([f], limits)
    result = _run_child(ws, "preview", [f], [], limits)
    return FilePreview(
        name=f.display_name,
        headers=list(result["headers"]),
        rows=int(result["rows"]),
        notes=list(result["notes"]),
        mapping=mapping.Mapping.from_json(result["mapping"]),
    )


def _load_bounded(
    ws: Workspace,
    files: list[InputFile],
    hashes: list[str],
    name: str,
    limits: Limits,
    progress: Progress | None,
) -> LoadReport:
    large = stages_on_disk(files, limits)
    with _job_dir() as job:
        result = _run_child(ws, "stage", files, hashes, limits, job, large=large)
        prepared = _Prepared(
            reports=[_report_from_json(r) for r in result["reports"]],
            expected={
                t: (int(rows), None if amount is None else Decimal(amount))
                for t, (rows, amount) in result["expected"].items()
            },
            sources={},
            flags=int(result["flags"]),
            headers=[list(h) for h in result["headers"]],
        )
        # The streamed files are closed here, whatever holds their readers (a traceback does).
        with ExitStack() as opened:
            if large:
                data = {t: _stream_arrow(job / (t + ".arrow"), opened) for t in result["targets"]}
            else:
                data = {t: _read_arrow(job / (t + ".arrow")) for t in result["targets"]}
            try:
                return _write_once(ws, prepared, data, hashes, name, progress)
            finally:
                data.clear()


@contextmanager
def _job_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="encours-load-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _run_child(
    ws: Workspace,
    mode: str,
    files: list[InputFile],
    hashes: list[str],
    limits: Limits,
    job: Path | None = None,
    *,
    large: bool = False,
) -> dict:
    """Run the child on ``files`` in the folder ``job`` (a private one when None); its result.
    ``large``: stage in a database file of ``job`` and hand the rows over compressed.

    Raises the child's ``LoadError`` / ``IngestError``, or a ``LoadError`` naming the file
    being read and the limit it exceeded when the child had to be stopped.
    """
    if job is None:
        with _job_dir() as private:
            return _run_child(ws, mode, files, hashes, limits, private, large=large)
    _write_arrow(job / _SAVED, _saved_mappings(ws))
    spec = {
        "mode": mode,
        "parent": os.getpid(),
        "limits": asdict(limits),
        "hashes": hashes,
        "files": [_file_to_json(f) for f in files],
        "large": large,
    }
    (job / _JOB).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_DIR), env.get("PYTHONPATH", "")) if p
    )
    env["TMPDIR"] = str(job)
    with open(job / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD_CODE, str(job)],
            cwd=job,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            code = proc.wait(timeout=limits.seconds)
        except BaseException as exc:
            proc.kill()
            proc.wait()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise LoadError(
                    f"{_current_file(job, files)}: the parse exceeded the {limits.seconds:g} s "
                    "time limit; nothing was loaded"
                ) from None
            raise
    result_path = job / _RESULT
    if not result_path.is_file():
        raise LoadError(_stopped_message(code, _current_file(job, files), limits))
    result = json.loads(result_path.read_text(encoding="utf-8"))
    if "error" in result:
        raise _error_from_json(result["error"], _current_file(job, files), limits)
    return result


def _stopped_message(code: int, who: str, limits: Limits) -> str:
    """Why a child that left no result stopped, from its exit status."""
    names = ("SIGXCPU", "SIGKILL", "SIGXFSZ")
    signals = {name: -int(getattr(signal, name)) for name in names if hasattr(signal, name)}
    if code in (signals.get("SIGXCPU"), signals.get("SIGKILL")):
        return (
            f"{who}: the parse exceeded the {limits.cpu_seconds} s CPU time or the "
            f"{limits.memory_mib} MiB memory limit; nothing was loaded"
        )
    if code == signals.get("SIGXFSZ"):
        return f"{who}: the parse exceeded the {limits.disk_mib} MiB disk limit; nothing was loaded"
    return (
        f"{who}: the parse stopped (exit status {code}): it exceeded the {limits.memory_mib} MiB "
        "memory limit or the file could not be read; nothing was loaded"
    )


def _current_file(job: Path, files: list[InputFile]) -> str:
    state = job / _STATE
    if state.is_file():
        text = state.read_text(encoding="utf-8").strip()
        if text:
            return text
    return ", ".join(f.display_name for f in files)


def _saved_mappings(ws: Workspace) -> pa.Table | None:
    cur = ws.cursor()
    found = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
        [mapping.SAVED_MAPPINGS],
    ).fetchall()[0][0]
    if not found:
        return None
    sql = "SELECT * FROM " + mapping.SAVED_MAPPINGS
    return ws.cursor().sql(sql).to_arrow_table()


def _write_arrow(path: Path, data: object | None, compression: str | None = None) -> None:
    """Write Arrow ``data`` (a table or a record-batch reader) as an Arrow IPC file, its
    buffers compressed with ``compression`` ("zstd", "lz4") when given."""
    if data is None:
        return
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.OSFile(str(path), "wb") as sink:
        with pa.ipc.new_file(sink, data.schema, options=options) as writer:
            if isinstance(data, pa.Table):
                writer.write_table(data)
            else:
                for batch in data:
                    writer.write_batch(batch)


def _read_arrow(path: Path) -> pa.Table:
    """An Arrow IPC file as a table mapped from disk (no copy)."""
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _stream_arrow(path: Path, opened: ExitStack) -> pa.RecordBatchReader:
    """An Arrow IPC file (compressed or not) read one batch at a time: only the batch being
    written is in memory. The file is closed when ``opened`` closes."""
    source = opened.enter_context(pa.OSFile(str(path), "rb"))
    ipc = pa.ipc.open_file(source)
    batches = (ipc.get_batch(i) for i in range(ipc.num_record_batches))
    return pa.RecordBatchReader.from_batches(ipc.schema, batches)


def stages_on_disk(files: list[InputFile], limits: Limits) -> bool:
    """Whether a load of ``files`` is staged in a database file (see ``STAGING_FACTOR``): too
    large for the staging's memory, and so for an in-memory workspace."""
    size = sum(_unpacked_bytes(Path(f.path)) for f in files if Path(f.path).is_file())
    return size * STAGING_FACTOR > _parse_duckdb_mib(limits) * MIB


#: How much larger than its file a compressed file (Parquet, a spreadsheet) is taken to be once
#: its fields are text. Only the file's first bytes are read to know it: its contents are
#: parsed in the bounded child, never in this process.
PACKED_EXPANSION = 10


def _unpacked_bytes(path: Path) -> int:
    """The size a file's fields are taken to have once read as text: its size, times
    ``PACKED_EXPANSION`` for a Parquet file or a spreadsheet (zip)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        magic = fh.read(4)
    return size * PACKED_EXPANSION if magic in (b"PAR1", b"PK\x03\x04") else size


def _file_to_json(f: InputFile) -> dict:
    return {
        "path": str(Path(f.path).resolve()),
        "name": f.display_name,
        "table": f.table,
        "mapping": f.mapping.to_json() if f.mapping is not None else None,
        "encoding": f.encoding,
        "separator": f.separator,
        "sheet": f.sheet,
        "overrides": f.overrides,
    }


def _file_from_json(d: dict) -> InputFile:
    return InputFile(
        path=Path(d["path"]),
        name=d["name"],
        table=d["table"],
        mapping=mapping.Mapping.from_json(d["mapping"]) if d["mapping"] else None,
        encoding=d["encoding"],
        separator=d["separator"],
        sheet=d["sheet"],
        overrides=d["overrides"],
    )


def _money_to_json(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _report_to_json(r: FileReport) -> dict:
    d = {k: getattr(r, k) for k in FileReport.__dataclass_fields__}
    d["mapping"] = r.mapping.to_json()
    for k in ("amount_read", "amount_loaded", "amount_rejected"):
        d[k] = _money_to_json(d[k])
    return d


def _report_from_json(d: dict) -> FileReport:
    values = dict(d)
    values["mapping"] = mapping.Mapping.from_json(d["mapping"])
    for k in ("amount_read", "amount_loaded", "amount_rejected"):
        values[k] = None if d[k] is None else Decimal(d[k])
    return FileReport(**values)


def _error_to_json(exc: BaseException) -> dict:
    if isinstance(exc, ingest.IngestError):
        return {
            "kind": "ingest",
            "file": exc.file,
            "reason": exc.reason,
            "row": exc.row,
            "column": exc.column,
        }
    if isinstance(exc, LoadError):
        return {"kind": "load", "message": str(exc)}
    text = str(exc)
    if (isinstance(exc, OSError) and exc.errno == errno.EFBIG) or (
        isinstance(exc, duckdb.Error)
        and ("File too large" in text or "max_temp_directory_size" in text)
    ):
        return {"kind": "disk"}
    if isinstance(exc, duckdb.OutOfMemoryException):
        # "bad allocation": the process's address space ran out before DuckDB's own limit
        # ("failed to allocate data of size ... (X/Y used)"); it is the child's memory limit.
        return {"kind": "memory" if "bad allocation" in text else "duckdb_memory"}
    if isinstance(exc, MemoryError):
        return {"kind": "memory"}
    return {"kind": "other", "type": type(exc).__name__, "message": str(exc)}


def _error_from_json(e: dict, who: str, limits: Limits) -> Exception:
    kind = e.get("kind")
    if kind == "ingest":
        return ingest.IngestError(e["file"], e["reason"], row=e["row"], column=e["column"])
    if kind == "load":
        return LoadError(e["message"])
    if kind == "disk":
        return LoadError(
            f"{who}: the parse exceeded the {limits.disk_mib} MiB disk limit; nothing was loaded"
        )
    if kind == "duckdb_memory":
        capped = " (ENCOURS_MEMORY_LIMIT)" if memory_limit_mib() is not None else ""
        return LoadError(
            f"{who}: the parse exceeded its memory limit ({_parse_duckdb_mib(limits)} MiB for "
            f"its database{capped}, {limits.memory_mib} MiB in all); nothing was loaded"
        )
    if kind == "memory":
        return LoadError(
            f"{who}: the parse exceeded the {limits.memory_mib} MiB memory limit; "
            "nothing was loaded"
        )
    return LoadError(f"{who}: the file could not be read ({e['type']}: {e['message']})")


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError, TypeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def _apply_limits(limits: Limits) -> None:
    """Bound this process: address space, CPU time and file size (where the OS has them)."""
    try:
        import resource
    except ImportError:
        return
    for name, value, hard in (
        ("RLIMIT_AS", limits.memory_mib * MIB, limits.memory_mib * MIB),
        ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 5),
        ("RLIMIT_FSIZE", limits.disk_mib * MIB, limits.disk_mib * MIB),
    ):
        which = getattr(resource, name, None)
        if which is None:
            continue
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            value, hard = min(value, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (value, hard))


def _parse_duckdb_mib(limits: Limits) -> int:
    """The memory DuckDB may use in the parsing child: its share of the child's memory, and
    no more than ``ENCOURS_MEMORY_LIMIT``; at least 64 MiB."""
    duckdb_mib = max(64, int(limits.memory_mib * PARSE_DUCKDB_MEMORY_SHARE))
    cap = memory_limit_mib()
    if cap is not None:
        duckdb_mib = min(duckdb_mib, max(64, cap))
    return duckdb_mib


def _staging_config(limits: Limits, job: Path) -> dict[str, str]:
    spill = job / "spill"
    spill.mkdir(exist_ok=True)
    return {
        "memory_limit": f"{_parse_duckdb_mib(limits)}MiB",
        "temp_directory": str(spill),
        "max_temp_directory_size": f"{limits.disk_mib}MiB",
    }


def _child_main(job_dir: str) -> int:
    """Entry point of the parsing child: read ``job.json``, write ``result.json``."""
    job = Path(job_dir)
    spec = json.loads((job / _JOB).read_text(encoding="utf-8"))
    _die_with_parent(int(spec["parent"]))
    limits = Limits(**spec["limits"])
    _apply_limits(limits)
    state = job / _STATE

    def on_file(name: str) -> None:
        state.write_text(name, encoding="utf-8")

    saved = duckdb.connect(":memory:")
    try:
        if (job / _SAVED).is_file():
            saved.register("_saved", _read_arrow(job / _SAVED))
            copy = "CREATE TABLE " + mapping.SAVED_MAPPINGS + " AS SELECT * FROM _saved"
            saved.execute(copy)
            saved.unregister("_saved")
        files = [_file_from_json(d) for d in spec["files"]]
        config = _staging_config(limits, job)
        if spec["mode"] == "preview":
            result = _child_preview(files[0], saved, config, on_file)
        else:
            result = _child_stage(
                job, files, spec["hashes"], saved, limits, config, on_file, spec["large"]
            )
    except Exception as exc:
        result = {"error": _error_to_json(exc)}
    finally:
        saved.close()
    tmp = job / (_RESULT + ".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    tmp.replace(job / _RESULT)
    return 0


def _child_preview(
    f: InputFile,
    saved: duckdb.DuckDBPyConnection,
    config: dict[str, str],
    on_file: Callable[[str], None],
) -> dict:
    on_file(f.display_name)
    info = ingest.sniff(
        f.path, name=f.display_name, encoding=f.encoding, separator=f.separator, sheet=f.sheet
    )
    con = duckdb.connect(":memory:", config=config)
    try:
        raw = ingest.read_raw(con, info, "raw_preview")
    finally:
        con.close()
    found = mapping.load(saved, raw.headers) or mapping.propose(raw.headers, f.table)
    return {
        "headers": raw.headers,
        "rows": raw.rows_read,
        "notes": list(info.notes),
        "mapping": found.to_json(),
    }


def _child_stage(
    job: Path,
    files: list[InputFile],
    hashes: list[str],
    saved: duckdb.DuckDBPyConnection,
    limits: Limits,
    config: dict[str, str],
    on_file: Callable[[str], None],
    large: bool,
) -> dict:
    con, staged, hashes = stage_files(
        files,
        saved_con=saved,
        hashes=hashes,
        max_columns=limits.max_columns,
        config=config,
        on_file=on_file,
        database=str(job / "staging.duckdb") if large else ":memory:",
    )
    compression = LARGE_HANDOVER_COMPRESSION if large else None
    try:
        prepared = _prepare(con, staged, hashes)
        for target, sql in prepared.sources.items():
            reader = con.cursor().sql(sql).to_arrow_reader()
            _write_arrow(job / (target + ".arrow"), reader, compression)
    finally:
        con.close()
        if large:  # the rows are in the Arrow files now
            for leftover in job.glob("staging.duckdb*"):
                leftover.unlink()
    return {
        "reports": [_report_to_json(r) for r in prepared.reports],
        "expected": {
            t: [rows, _money_to_json(amount)] for t, (rows, amount) in prepared.expected.items()
        },
        "flags": prepared.flags,
        "headers": prepared.headers,
        "targets": list(prepared.sources),
    }
