"""Reading source files as text: sniff the format, then load every cell as VARCHAR into DuckDB.

The first two steps of the pipeline (design.md): ``sniff`` finds what a file is (CSV, XLSX,
Parquet), its encoding, separator, sheet and header row; ``read_raw`` loads its data rows into
a DuckDB table of text columns ``c0, c1, ...`` plus ``line_no BIGINT``, where ``line_no`` is the
physical line (CSV) or spreadsheet row (XLSX) or row index + 1 (Parquet), so that every value
can be traced back to the export. Nothing is typed here: parse.py turns text into values.

A file that cannot be read at all raises :class:`IngestError`, whose message is one line a
finance user can act on. Rows that do not fit the header are kept aside as :class:`Reject`.

Every file is untrusted: the limits below bound what reading one can cost. A line is never
held beyond ``MAX_LINE_BYTES``; a spreadsheet archive is checked by :func:`check_archive`
(unpacked size, expansion ratio, XML entities, the rectangle of cells a sheet spans) before
the spreadsheet reader opens it; a Parquet column that expands more than ``MAX_PACK_RATIO``
times is refused before it is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

#: A file with more columns than this is not a ledger.
MAX_COLUMNS = 1000
#: Longest line accepted, in bytes.
MAX_LINE_BYTES = 1_000_000
#: Bytes read from the start of a text file to find its separator and header.
SNIFF_BYTES = 256 * 1024
#: Lines (records) examined to find the header.
SNIFF_LINES = 200
#: Chunk size for whole-file encoding checks and transcoding.
CHUNK_BYTES = 4 * 1024 * 1024
#: Rows per batch when rows are loaded from Python (spreadsheets, CSV fallback).
BATCH_ROWS = 50_000
#: Spreadsheets (zip archives: XLSX, ODS): most bytes all the parts may unpack to, counted
#: as declared and as actually inflated, checked before the spreadsheet reader sees the file.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: Spreadsheets and Parquet: largest expansion ratio (unpacked / packed) of a zip part or a
#: Parquet column chunk over 1 MiB unpacked; real files stay under 30, zip bombs reach 1000.
MAX_PACK_RATIO = 200
#: Spreadsheets: most parts (files) in the archive.
MAX_ARCHIVE_PARTS = 10_000
#: XLSX: most cells of the rectangle a sheet spans (from A1 to its farthest cell). The reader
#: allocates every cell of that rectangle, so a few cells far apart would exhaust the memory.
MAX_SHEET_CELLS = 20_000_000

SEPARATORS = (",", ";", "\t", "|")
_C1 = bytes(range(0x80, 0xA0))
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_TOTAL_WORDS = re.compile(
    r"^\s*(total|totaux|sous[- ]total|grand total|montant total|sum|somme|balance)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Magic numbers of formats that are not tables, for a clear message.
_NOT_TABLES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a program"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_SPREADSHEET_EXT = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"}
_PARQUET_EXT = {".parquet", ".pq"}

_READ_CSV = (
    "CREATE TABLE {stage} AS SELECT * FROM read_csv($path, all_varchar = true, header = false, "
    "auto_detect = false, skip = $skip, delim = $delim, quote = '\"', escape = '\"', "
    "encoding = $encoding, "
    "columns = {columns}, store_rejects = true, strict_mode = true, "
    "rejects_table = $rejects, rejects_scan = $scan, max_line_size = $max_line, "
    "parallel = true)"
)
_REJECTS = "SELECT line, error_type, csv_line FROM {rejects} ORDER BY line"
_COUNT = "SELECT count(*) FROM {table}"
_DROP = "DROP TABLE IF EXISTS {table}"
_EXCLUDED = "CREATE TEMP TABLE {excluded} (e BIGINT)"
_INSERT_EXCLUDED = "INSERT INTO {excluded} SELECT unnest($values)"
_NUMBER_ROWS = (
    "CREATE TABLE {table} AS "
    "WITH ranked AS (SELECT e, row_number() OVER (ORDER BY e) - 1 AS i FROM {excluded}), "
    "gaps AS (SELECT e - $header_end - 1 - i AS c, max(i) + 1 AS n FROM ranked GROUP BY 1), "
    "rows AS (SELECT rowid AS k0, {cols} FROM {stage}) "
    "SELECT {cols}, $header_end + rows.k0 + 1 + coalesce(gaps.n, 0) AS line_no "
    "FROM rows ASOF LEFT JOIN gaps ON rows.k0 >= gaps.c"
)
_GET_ORDER = "SELECT current_setting('preserve_insertion_order')"
_SET_ORDER = "SET preserve_insertion_order = {value}"
_ADD_LINE_NO = "ALTER TABLE {stage} ADD COLUMN line_no BIGINT"
_SET_LINE_NO = "UPDATE {stage} SET line_no = rowid + $header_end + 1"
_RENAME = "ALTER TABLE {stage} RENAME TO {table}"
_CREATE_RAW = "CREATE TABLE {table} ({coldefs}, line_no BIGINT)"
_INSERT_ARROW = "INSERT INTO {table} SELECT * FROM {batch}"
_DELETE_EMPTY = "DELETE FROM {table} WHERE coalesce({cols}) IS NULL"
_LAST_ROW = "SELECT {cols} FROM {table} ORDER BY line_no DESC LIMIT 1"
_PARQUET_SCHEMA = "DESCRIBE SELECT * FROM read_parquet($path)"
_PARQUET_SIZES = (
    "SELECT arg_max(path_in_schema, total_uncompressed_size / greatest(total_compressed_size, 1)) "
    "FILTER (WHERE total_uncompressed_size > $big), "
    "max(total_uncompressed_size // greatest(total_compressed_size, 1)) "
    "FILTER (WHERE total_uncompressed_size > $big) FROM parquet_metadata($path)"
)
_PARQUET_LOAD = (
    "INSERT INTO {table} SELECT COLUMNS(lambda c: c <> 'file_row_number')::VARCHAR, "
    "file_row_number + 1 FROM read_parquet($path, file_row_number = true)"
)


class IngestError(Exception):
    """A file that cannot be read at all.

    ``str()`` is one clear line for a finance user, e.g. "factures.csv, row 1: the file is
    empty" or "x.xlsx: not a spreadsheet (it is a CSV file renamed .xlsx)", naming the file and
    the row/column when known.
    """

    def __init__(
        self, file: str, reason: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = reason
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")


@dataclass
class SourceInfo:
    """What a file is and how to read it; ``notes`` say what was detected, in plain words."""

    name: str
    path: Path
    kind: str
    encoding: str | None = None
    separator: str | None = None
    header_row: int = 1
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: csv: whether the bytes hold 0x80-0x9F (where cp1252 and latin-1 differ); None: unknown
    c1_bytes: bool | None = field(default=None, repr=False, compare=False)
    #: spreadsheets: whether the archive passed ``check_archive``
    archive_checked: bool = field(default=False, repr=False, compare=False)


@dataclass(frozen=True)
class Reject:
    """A row that does not fit the header (structural reject), with its physical line."""

    line_no: int
    reason: str
    raw: str


@dataclass
class RawTable:
    """A file loaded as text: ``table`` has columns ``c0 .. c{n-1}`` (VARCHAR) and ``line_no``."""

    table: str
    headers: list[str]
    info: SourceInfo
    rows_read: int
    rejects: list[Reject]


# --------------------------------------------------------------------------------------------
# sniff


def sniff(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    encoding: str | None = None,
    separator: str | None = None,
    sheet: str | None = None,
) -> SourceInfo:
    """Find the kind, encoding, separator, sheet and header row of a file.

    The kind comes from the bytes (magic numbers), not only the extension; explicit
    ``encoding``, ``separator`` and ``sheet`` arguments win over detection.
    """
    p = Path(path)
    display = name or p.name
    if not p.is_file():
        raise IngestError(display, "the file does not exist or is not a file")
    size = p.stat().st_size
    if size == 0:
        raise IngestError(display, "the file is empty", row=1)
    with p.open("rb") as fh:
        head = fh.read(SNIFF_BYTES + MAX_LINE_BYTES)
    ext = p.suffix.lower()
    kind = _kind_from_bytes(head)
    for magic, what in _NOT_TABLES:
        if kind is None and head.startswith(magic):
            raise IngestError(display, f"not a table (it is {what})")
    if kind in (None, "csv") and (ext in _SPREADSHEET_EXT or ext in _PARQUET_EXT):
        what = "a spreadsheet" if ext in _SPREADSHEET_EXT else "a Parquet file"
        looks = "a CSV file" if kind == "csv" else "not a known format"
        raise IngestError(display, f"not {what} (it is {looks} renamed {ext})")
    if kind is None:
        raise IngestError(
            display, "binary content (NUL bytes or control characters): this is not a text table"
        )
    info = SourceInfo(name=display, path=p, kind=kind)
    if kind != "csv" and ext and ext not in _SPREADSHEET_EXT | _PARQUET_EXT:
        info.notes.append(f"read as {kind.upper()} (the content is {kind}, the name says {ext})")
    if kind == "csv":
        _sniff_csv(info, head, size, encoding, separator)
    elif kind == "parquet":
        info.header_row = 0
    else:
        _sniff_spreadsheet(info, sheet)
    return info


def _kind_from_bytes(head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    for magic, _ in _NOT_TABLES:
        if head.startswith(magic):
            return None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if _looks_like_text(head):
        return "csv"
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head[:4096] if b < 32 and b not in (9, 10, 13, 12))
    return controls <= max(1, len(head[:4096]) // 200)


def _scan_c1(path: Path) -> tuple[bool, bool]:
    """(any byte 0x80-0x9F, any byte undefined in cp1252) over the whole file."""
    c1 = False
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            if len(chunk.translate(None, _C1)) != len(chunk):
                c1 = True
                if any(b in chunk for b in _CP1252_UNDEFINED):
                    return True, True
    return c1, False


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _first_invalid_utf8(path: Path, skip: int = 0) -> tuple[int, bool] | None:
    """Line of the first byte that is not valid UTF-8 (None when the whole file is UTF-8),
    and whether a line above it holds non-ASCII UTF-8 characters."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 1
    first_non_ascii: int | None = None
    with path.open("rb") as fh:
        fh.seek(skip)
        while chunk := fh.read(CHUNK_BYTES):
            if chunk.isascii():
                lines += chunk.count(b"\n")
                continue
            if first_non_ascii is None:
                hit = _NON_ASCII.search(chunk)
                first_non_ascii = lines + chunk.count(b"\n", 0, hit.start() if hit else 0)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(0, exc.start - (len(exc.object) - len(chunk)))
                line = lines + chunk.count(b"\n", 0, at)
                return line, first_non_ascii < line
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines, first_non_ascii is not None and first_non_ascii < lines
    return None


def _detect_encoding(path: Path, head: bytes, name: str) -> tuple[str, bool | None]:
    """Encoding of a text file, and whether it holds bytes 0x80-0x9F (None: not checked).

    A file that is UTF-8 (by its byte-order mark or its first non-ASCII characters) and
    then is not is refused: no single encoding reads it, so any choice would garble a part.
    """
    if head.startswith(codecs.BOM_UTF8):
        bad = _first_invalid_utf8(path, skip=len(codecs.BOM_UTF8))
        if bad is not None:
            raise IngestError(
                name,
                "the file starts with a UTF-8 mark but this line is not UTF-8: it mixes two "
                "encodings; export it again in one encoding (or choose the encoding)",
                row=bad[0],
            )
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    bad = _first_invalid_utf8(path)
    if bad is None:
        return "utf-8", None
    if bad[1]:
        raise IngestError(
            name,
            "the lines above are UTF-8 but this one is not: the file mixes two encodings; "
            "export it again in one encoding (or choose the encoding)",
            row=bad[0],
        )
    c1, undefined = _scan_c1(path)
    return ("latin-1" if undefined else "cp1252"), c1


def _sniff_csv(
    info: SourceInfo, head: bytes, size: int, encoding: str | None, separator: str | None
) -> None:
    name = info.name
    if encoding is None:
        info.encoding, info.c1_bytes = _detect_encoding(info.path, head, name)
        info.notes.append(f"encoding {info.encoding}")
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise IngestError(name, f"unknown encoding {encoding!r}") from None
        info.encoding = encoding
        info.notes.append(f"encoding {encoding} (chosen by the user)")
    if info.encoding != "utf-16" and b"\x00" in head:
        raise IngestError(name, "binary content (NUL bytes): this is not a text table")
    first_nl = head.find(b"\n")
    if (first_nl if first_nl >= 0 else len(head)) > MAX_LINE_BYTES:
        raise IngestError(name, "a line is longer than 1 MB: this is not a ledger", row=1)
    cut = head
    if len(head) < size:
        cut = head[: head.rfind(b"\n") + 1]
    text = _strip_bom(codecs.getincrementaldecoder(info.encoding)("replace").decode(cut))
    if "\x00" in text:
        raise IngestError(name, "binary content (NUL bytes): this is not a text table")
    if not text.strip():
        raise IngestError(name, "the file is empty (only blank lines)", row=1)
    if separator is not None:
        if len(separator) != 1:
            raise IngestError(name, f"the separator must be one character, not {separator!r}")
        info.separator = separator
        info.notes.append(
            f"separator {_SEPARATOR_NAMES.get(separator, repr(separator))} (chosen by the user)"
        )
    else:
        info.separator = _detect_separator(text, name)
        info.notes.append(f"separator {_SEPARATOR_NAMES[info.separator]}")
    records = _records(text, info.separator)
    header_idx = _find_header(records, name)
    info.header_row = records[header_idx][0]
    _check_header_text(info, records[header_idx][2], user_encoding=encoding is not None)
    skipped = sum(1 for r in records[:header_idx] if any(c.strip() for c in r[2]))
    if skipped:
        info.notes.append(
            f"{skipped} title row{'s' if skipped > 1 else ''} skipped "
            f"(header on line {info.header_row})"
        )


#: The UTF-8 byte-order mark as text: decoded as UTF-8, and as cp1252 or latin-1 would.
_BOMS = ("\ufeff", "\u00ef\u00bb\u00bf")


def _strip_bom(text: str) -> str:
    for bom in _BOMS:
        if text.startswith(bom):
            return text[len(bom) :]
    return text


def _double_encoded(text: str) -> str | None:
    """``text`` repaired when it is UTF-8 read as cp1252 ("NÂ° facture" -> "N° facture")."""
    if text.isascii():
        return None
    try:
        repaired = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return None
    return repaired if repaired != text else None


def _check_header_text(info: SourceInfo, cells: list[str], *, user_encoding: bool) -> None:
    """Refuse a header that is UTF-8 decoded as cp1252: every accented value would be wrong."""
    for cell in cells:
        repaired = _double_encoded(cell)
        if repaired is None:
            continue
        if user_encoding and codecs.lookup(info.encoding or "utf-8").name != "utf-8":
            advice = "choose the encoding UTF-8"
        else:
            advice = "the file was converted to UTF-8 twice; export it again"
        raise IngestError(
            info.name,
            f"the header is wrongly decoded ({cell.strip()!r} reads {repaired.strip()!r} once "
            f"repaired): {advice}",
            row=info.header_row,
            column=cell.strip(),
        )


def _records(text: str, sep: str, limit: int = SNIFF_LINES) -> list[tuple[int, int, list[str]]]:
    """Parse the start of a text: (first line, last line, fields) per record, blanks included."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=sep, quotechar='"', doublequote=True, strict=False)
    out: list[tuple[int, int, list[str]]] = []
    prev = 0
    try:
        for rec in reader:
            out.append((prev + 1, reader.line_num, rec))
            prev = reader.line_num
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _detect_separator(text: str, name: str) -> str:
    best: tuple[float, int, int] | None = None
    best_sep = None
    for sep in SEPARATORS:
        recs = [r[2] for r in _records(text, sep) if r[2]]
        while recs and len(recs[0]) < 2:
            recs.pop(0)
        if not recs:
            continue
        counts = [len(r) for r in recs]
        tail = counts[len(counts) // 4 :] or counts
        mode, n_mode = _mode(tail)
        if mode < 2:
            continue
        share = n_mode / len(tail)
        score = (float(share >= 0.5), mode, share)
        if best is None or score > best:
            best, best_sep = score, sep
    if best_sep is None:
        raise IngestError(
            name, "not a table: no separator (, ; tab |) splits the lines into columns"
        )
    return best_sep


def _mode(counts: list[int]) -> tuple[int, int]:
    """Most frequent field count and its frequency; ties go to the larger count."""
    return max(Counter(counts).items(), key=lambda kv: (kv[1], kv[0]))


def _is_header_like(cells: list[Any], width: int) -> bool:
    filled = [c for c in cells if c is not None and str(c).strip()]
    return len(filled) >= max(2, math.ceil(0.5 * width))


def _find_header(records: list[tuple[int, int, list[str]]], name: str) -> int:
    """Index of the header: the first record whose field count is the dominant field count of
    all the non-blank records from it to the end of the sniffed text (itself included)."""
    nonblank = [i for i, r in enumerate(records) if any(c.strip() for c in r[2])]
    if not nonblank:
        raise IngestError(name, "the file is empty (only blank lines)", row=1)
    below: Counter[int] = Counter()
    modes: dict[int, int] = {}
    for i in reversed(nonblank):
        below[len(records[i][2])] += 1
        modes[i] = max(below.items(), key=lambda kv: (kv[1], kv[0]))[0]
    counts = [len(records[i][2]) for i in nonblank]
    while len(counts) > 1 and counts[0] < 2:
        counts.pop(0)
    widest = _mode(counts)[0]
    if widest > MAX_COLUMNS:
        raise IngestError(name, f"{widest} columns: more than {MAX_COLUMNS}, this is not a ledger")
    for i in nonblank:
        width = len(records[i][2])
        if width >= 2 and width == modes[i] and _is_header_like(records[i][2], width):
            return i
    for i in nonblank:
        if len(records[i][2]) == modes[i]:
            return i
    return nonblank[0]


def _unique_headers(raw: list[str], info: SourceInfo) -> list[str]:
    headers: list[str] = []
    seen: Counter[str] = Counter()
    blanks = 0
    dupes: list[str] = []
    for i, h in enumerate(raw):
        text = " ".join(str(h).replace("\ufeff", "").split())
        if not text:
            text = f"column {i + 1}"
            blanks += 1
        key = text.casefold()
        seen[key] += 1
        if seen[key] > 1:
            dupes.append(text)
            text = f"{text} ({seen[key]})"
            seen[text.casefold()] += 1
        headers.append(text)
    if blanks:
        info.notes.append(
            f"{blanks} column{'s' if blanks > 1 else ''} without a header named 'column N'"
        )
    if dupes:
        info.notes.append("duplicate headers renamed: " + ", ".join(sorted(set(dupes))))
    return headers


# --------------------------------------------------------------------------------------------
# read_raw


def read_raw(con: duckdb.DuckDBPyConnection, info: SourceInfo, table: str) -> RawTable:
    """Load the data rows of ``info`` into a new DuckDB table ``table`` as text.

    The table has columns ``c0 .. c{n-1} VARCHAR`` (``c_i`` holds ``headers[i]``) and
    ``line_no BIGINT``; refer to them by name (the row order of the table is not meaningful).
    ``rows_read`` counts the data rows below the header: rows loaded plus
    structural rejects; blank lines (white space only, or only separators) are not rows.
    """
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    if info.kind == "csv":
        return _read_csv(con, info, table)
    if info.kind == "parquet":
        return _read_parquet(con, info, table)
    return _read_spreadsheet(con, info, table)


def _cols(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _readable_source(info: SourceInfo, workdir: Path) -> tuple[Path, str, str]:
    """(file, encoding for DuckDB, encoding for Python) of a text file DuckDB can decode.

    DuckDB decodes UTF-8 (skipping a BOM) and latin-1 itself; cp1252 without bytes 0x80-0x9F
    is latin-1. Anything else is transcoded in chunks to a temporary UTF-8 file.
    """
    encoding = info.encoding or "utf-8"
    name = codecs.lookup(encoding).name
    if name == "utf-8":
        return info.path, "utf-8", "utf-8"
    if name == "utf-8-sig":
        return info.path, "utf-8", "utf-8-sig"
    if name == "iso8859-1":
        return info.path, "latin-1", "latin-1"
    if name == "cp1252":
        c1 = info.c1_bytes if info.c1_bytes is not None else _scan_c1(info.path)[0]
        if not c1:
            return info.path, "latin-1", "latin-1"
    target = workdir / "source.csv"
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    first = True
    try:
        with info.path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK_BYTES):
                text = decoder.decode(chunk)
                if first and text.startswith("\ufeff"):
                    text = text[1:]
                first = False
                dst.write(text)
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise IngestError(
            info.name,
            f"the file is not valid {info.encoding} ({exc.reason} at "
            f"byte {exc.start}); choose another encoding",
        ) from None
    return target, "utf-8", "utf-8"


def _line_stats(path: Path, header_end: int) -> tuple[int, list[int], bool, int | None]:
    """Physical line count of a text file, its blank lines after line ``header_end``,
    whether its line ends are mixed (LF and CRLF, or lone CR), which DuckDB miscounts, and the
    line of its first NUL character (None when there is none).

    Vectorised over chunks of bytes: a blank line is an LF right after the previous LF, or
    after the previous LF and a CR; the k-th LF of the file ends line k.
    """
    lf = cr = crlf = 0
    blanks: list[int] = []
    buf = bytearray(CHUNK_BYTES)
    offset = 0
    prev_lf = -1  # global position of the last LF seen (-1: none yet, line 1 starts at 0)
    prev_byte = -1
    last_byte = -1
    nul_line: int | None = None
    with path.open("rb") as fh:
        while n := fh.readinto(buf):
            arr = np.frombuffer(buf, dtype=np.uint8, count=n)
            is_lf = arr == 10
            is_cr = arr == 13
            if nul_line is None:
                nul_line = _first_nul_line(arr, is_lf, is_cr, lf, cr)
            positions = np.flatnonzero(is_lf) + offset
            n_cr = int(np.count_nonzero(is_cr))
            if n_cr:
                cr += n_cr
                crlf += int(np.count_nonzero(is_cr[:-1] & is_lf[1:]))
            if prev_byte == 13 and arr[0] == 10:
                crlf += 1
            if positions.size:
                starts = np.concatenate(([prev_lf + 1], positions[:-1] + 1))
                lengths = positions - starts
                blank = lengths == 0
                two = np.flatnonzero(lengths == 1)
                if two.size:
                    first = starts[two]
                    inside = first >= offset
                    firsts = np.where(inside, arr[np.clip(first - offset, 0, n - 1)], prev_byte)
                    blank[two] = firsts == 13
                blank_idx = np.flatnonzero(blank) + lf + 1
                blanks.extend(int(b) for b in blank_idx if b > header_end)
                lf += int(positions.size)
                prev_lf = int(positions[-1])
            prev_byte = int(arr[-1])
            last_byte = prev_byte
            offset += n
    if offset == 0:
        return 0, [], False, None
    total = lf + (0 if last_byte == 10 else 1)
    mixed = cr > 0 and not (cr == crlf == lf)
    return total, [b for b in blanks if b <= total], mixed, nul_line


def _first_nul_line(
    arr: np.ndarray, is_lf: np.ndarray, is_cr: np.ndarray, lf: int, cr: int
) -> int | None:
    """Line of the first NUL byte of a chunk, given the LF and CR counts before the chunk
    (lines end at LF, or at CR in files without LF)."""
    nul = np.flatnonzero(arr == 0)
    if not nul.size:
        return None
    k = int(nul[0])
    lf_before = lf + int(np.count_nonzero(is_lf[:k]))
    cr_before = cr + int(np.count_nonzero(is_cr[:k]))
    return (lf_before if lf_before or not cr_before else cr_before) + 1


def _read_csv(con: duckdb.DuckDBPyConnection, info: SourceInfo, table: str) -> RawTable:
    workdir = Path(tempfile.mkdtemp(prefix="encours_ingest_"))
    try:
        src, duck_encoding, py_encoding = _readable_source(info, workdir)
        with src.open("r", encoding=py_encoding, errors="replace", newline="") as fh:
            head_text = fh.read(SNIFF_BYTES + MAX_LINE_BYTES)
        head_text = _strip_bom(head_text)
        sep = info.separator or ","
        records = _records(head_text, sep, limit=info.header_row + 1)
        header_rec = next((r for r in records if r[0] == info.header_row), None)
        if header_rec is None:
            raise IngestError(info.name, "the header line could not be read", row=info.header_row)
        header_end = header_rec[1]
        headers = _unique_headers(header_rec[2], info)
        n = len(headers)
        if n > MAX_COLUMNS:
            raise IngestError(
                info.name,
                f"{n} columns: more than {MAX_COLUMNS}, this is not a ledger",
                row=info.header_row,
            )
        if n < 2:
            raise IngestError(
                info.name, "not a table: the header has a single column", row=info.header_row
            )
        total, blanks, mixed, nul_line = _line_stats(src, header_end)
        if nul_line is not None:
            raise IngestError(
                info.name, "binary content (a NUL byte): this is not a text table", row=nul_line
            )
        loaded = None
        if mixed:
            info.notes.append("read line by line (mixed line ends)")
        else:
            loaded = _duckdb_csv(
                con, info, (src, duck_encoding), table, headers, header_end, total, blanks
            )
            if loaded is None:
                info.notes.append("read line by line (quoted fields over several lines)")
        if loaded is None:
            loaded = _python_csv(con, info, (src, py_encoding), table, headers, header_end)
        rejects, rows = loaded
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows -= _drop_empty_rows(con, table, n, info)
    _note_totals_row(con, table, n, info)
    return RawTable(table, headers, info, rows + len(rejects), rejects)


def _duckdb_csv(
    con: duckdb.DuckDBPyConnection,
    info: SourceInfo,
    source: tuple[Path, str],
    table: str,
    headers: list[str],
    header_end: int,
    total: int,
    blanks: list[int],
) -> tuple[list[Reject], int] | None:
    """Bulk read with DuckDB; None when the line accounting does not hold (caller falls back)."""
    n = len(headers)
    stage, rej, scan, excluded = (
        f"{table}__stage",
        f"{table}__rej",
        f"{table}__scan",
        f"{table}__excl",
    )
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    cols = ", ".join(_cols(n))
    for t in (stage, rej, scan, excluded):
        con.execute(_DROP.format(table=t))
    ordered = con.execute(_GET_ORDER).fetchall()[0][0]
    try:
        if not ordered:
            con.execute(_SET_ORDER.format(value="true"))
        con.execute(
            _READ_CSV.format(stage=stage, columns=columns),
            {
                "path": str(source[0]),
                "encoding": source[1],
                "skip": header_end,
                "delim": info.separator,
                "rejects": rej,
                "scan": scan,
                "max_line": MAX_LINE_BYTES,
            },
        )
    except duckdb.Error:
        return None
    finally:
        if not ordered:
            con.execute(_SET_ORDER.format(value="false"))
    try:
        bad = con.execute(_REJECTS.format(rejects=rej)).fetchall()
        good = con.execute(_COUNT.format(table=stage)).fetchall()[0][0]
        rejects: list[Reject] = []
        lines: set[int] = set()
        for line, kind, raw in bad:
            raw_line = (raw or "").lstrip("\r\n").rstrip("\r\n")
            if kind == "LINE SIZE OVER MAXIMUM":
                raise IngestError(
                    info.name, "a line is longer than 1 MB: this is not a ledger", row=int(line)
                )
            if int(line) in lines:
                continue
            lines.add(int(line))
            rejects.append(
                Reject(int(line), _reject_reason(kind, raw_line, info.separator, n), raw_line)
            )
        data_lines = total - header_end - len(blanks)
        if good + len(rejects) != data_lines or any(r.line_no <= header_end for r in rejects):
            con.execute(_DROP.format(table=stage))
            return None
        ex = sorted(set(blanks) | lines)
        rejects = [r for r in rejects if r.raw.replace(info.separator or ",", "").strip()]
        if ex:
            con.execute(_EXCLUDED.format(excluded=excluded))
            con.execute(_INSERT_EXCLUDED.format(excluded=excluded), {"values": ex})
            sql = _NUMBER_ROWS.format(table=table, excluded=excluded, stage=stage, cols=cols)
            con.execute(sql, {"header_end": header_end})
        else:
            con.execute(_ADD_LINE_NO.format(stage=stage))
            con.execute(_SET_LINE_NO.format(stage=stage), {"header_end": header_end})
            con.execute(_RENAME.format(stage=stage, table=table))
        return rejects, good
    finally:
        for t in (stage, rej, scan, excluded):
            con.execute(_DROP.format(table=t))


def _reject_reason(kind: str, raw: str, sep: str | None, n: int) -> str:
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        try:
            got = len(next(csv.reader([raw], delimiter=sep or ",", quotechar='"')))
        except (csv.Error, StopIteration):
            got = None
        if got is not None and got != n:
            return f"row has {got} field{'s' if got != 1 else ''}, the header has {n}"
        return (
            "row has fewer fields than the header"
            if kind == "MISSING COLUMNS"
            else "row has more fields than the header"
        )
    if kind == "UNQUOTED VALUE":
        return "badly quoted field (a quote inside an unquoted value)"
    return f"unreadable row ({kind.lower()})"


def _python_csv(
    con: duckdb.DuckDBPyConnection,
    info: SourceInfo,
    source: tuple[Path, str],
    table: str,
    headers: list[str],
    header_end: int,
) -> tuple[list[Reject], int]:
    """Exact reading with Python's csv module (multi-line quoted fields, odd line ends)."""
    n = len(headers)
    _create_raw(con, table, n)
    rejects: list[Reject] = []
    batch: list[list[Any]] = []
    rows = 0
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES + 1)
    sep = info.separator or ","
    try:
        with source[0].open("r", encoding=source[1], errors="replace", newline="") as fh:
            lines = _RecordLines(_bounded_lines(fh, info))
            reader = csv.reader(lines, delimiter=sep, quotechar='"', strict=True)
            prev = 0
            while True:
                lines.taken.clear()
                try:
                    rec = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    if "field limit" in str(exc):
                        raise
                    start, prev = prev + 1, reader.line_num
                    if start > header_end:
                        rejects.append(
                            Reject(start, _quote_reason(str(exc), start, prev), lines.raw())
                        )
                    continue
                start, prev = prev + 1, reader.line_num
                if start <= header_end or not rec:
                    continue
                if prev > start and len(rec) == n and _swallows_records(rec, sep, n):
                    reason = (
                        f"a quoted field runs from line {start} to line {prev} and holds whole "
                        "rows: a quote is not closed where it should be"
                    )
                    rejects.append(Reject(start, reason, lines.raw()))
                    continue
                if len(rec) != n and not "".join(rec).strip():
                    continue
                if len(rec) != n:
                    reason = (
                        f"row has {len(rec)} field{'s' if len(rec) != 1 else ''}, "
                        f"the header has {n}"
                    )
                    if prev > start:
                        reason = (
                            f"a quoted field runs from line {start} to line {prev} (a quote "
                            f"is not closed); {reason}"
                        )
                    rejects.append(Reject(start, reason, sep.join(rec)))
                    continue
                batch.append([start, *[v if v != "" else None for v in rec]])
                rows += 1
                if len(batch) >= BATCH_ROWS:
                    _insert_rows(con, table, n, batch)
                    batch = []
    except csv.Error as exc:
        raise IngestError(info.name, f"the file cannot be read as CSV ({exc})") from None
    finally:
        csv.field_size_limit(old_limit)
    _insert_rows(con, table, n, batch)
    return rejects, rows


def _swallows_records(rec: list[str], sep: str, n: int) -> bool:
    """Whether a field running over several lines holds as many separators as a whole row:
    a stray quote has then turned following rows into one value."""
    return any(("\n" in v or "\r" in v) and v.count(sep) >= n - 1 for v in rec)


class _RecordLines:
    """The lines of a file, remembering those taken since ``taken`` was last cleared (the
    physical lines of the record being parsed)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def raw(self) -> str:
        return "".join(self.taken).rstrip("\r\n")


def _quote_reason(error: str, start: int, end: int) -> str:
    """The reject reason of a record the strict CSV reader refused."""
    where = f"line {start}" if end <= start else f"lines {start} to {end}"
    if "expected after" in error:
        return (
            f"badly quoted field on {where}: a closing quote is followed by text, not by "
            "the separator (a quote inside a value?)"
        )
    if "end of data" in error or "EOF" in error:
        return f"a quote opened on line {start} is never closed (the rest of the file is one field)"
    return f"badly quoted field on {where} ({error})"


def _bounded_lines(fh: io.TextIOBase, info: SourceInfo) -> Iterator[str]:
    """The lines of ``fh``, never holding more than ``MAX_LINE_BYTES + 1`` characters of one."""
    i = 0
    while line := fh.readline(MAX_LINE_BYTES + 1):
        i += 1
        if len(line) > MAX_LINE_BYTES:
            raise IngestError(info.name, "a line is longer than 1 MB: this is not a ledger", row=i)
        yield line


def _create_raw(con: duckdb.DuckDBPyConnection, table: str, n: int) -> None:
    con.execute(_DROP.format(table=table))
    coldefs = ", ".join(f"{c} VARCHAR" for c in _cols(n))
    con.execute(_CREATE_RAW.format(table=table, coldefs=coldefs))


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, n: int, rows: list[list[Any]]) -> None:
    if not rows:
        return
    arrays = [pa.array([r[i + 1] for r in rows], pa.string()) for i in range(n)]
    arrays.append(pa.array([r[0] for r in rows], pa.int64()))
    batch = pa.Table.from_arrays(arrays, names=[*_cols(n), "line_no"])
    view = f"{table}__batch"
    con.register(view, batch)
    try:
        con.execute(_INSERT_ARROW.format(table=table, batch=view))
    finally:
        con.unregister(view)


def _drop_empty_rows(con: duckdb.DuckDBPyConnection, table: str, n: int, info: SourceInfo) -> int:
    before = con.execute(_COUNT.format(table=table)).fetchall()[0][0]
    con.execute(_DELETE_EMPTY.format(table=table, cols=", ".join(_cols(n))))
    after = con.execute(_COUNT.format(table=table)).fetchall()[0][0]
    dropped = int(before - after)
    if dropped:
        info.notes.append(f"{dropped} empty row{'s' if dropped > 1 else ''} ignored")
    return dropped


def _note_totals_row(con: duckdb.DuckDBPyConnection, table: str, n: int, info: SourceInfo) -> None:
    last = con.execute(_LAST_ROW.format(table=table, cols=", ".join(_cols(n)))).fetchall()
    if not last:
        return
    first = next((v for v in last[0] if v is not None and str(v).strip()), None)
    if first is not None and _TOTAL_WORDS.match(str(first)):
        info.notes.append(
            f"the last row looks like a totals row ({str(first).strip()!r}); it "
            "is kept and will be checked like any row"
        )


# --------------------------------------------------------------------------------------------
# Parquet


def _read_parquet(con: duckdb.DuckDBPyConnection, info: SourceInfo, table: str) -> RawTable:
    try:
        schema = con.execute(_PARQUET_SCHEMA, {"path": str(info.path)}).fetchall()
    except duckdb.Error as exc:
        raise IngestError(info.name, f"not a readable Parquet file ({_first_line(exc)})") from None
    raw = [str(r[0]) for r in schema]
    _check_parquet_sizes(con, info)
    if len(raw) > MAX_COLUMNS:
        raise IngestError(
            info.name, f"{len(raw)} columns: more than {MAX_COLUMNS}, this is not a ledger"
        )
    if "file_row_number" in raw:
        raise IngestError(info.name, "a column named 'file_row_number' is not supported")
    headers = _unique_headers(raw, info)
    _create_raw(con, table, len(headers))
    try:
        con.execute(_PARQUET_LOAD.format(table=table), {"path": str(info.path)})
    except duckdb.Error as exc:
        raise IngestError(info.name, f"not a readable Parquet file ({_first_line(exc)})") from None
    rows = con.execute(_COUNT.format(table=table)).fetchall()[0][0]
    rows -= _drop_empty_rows(con, table, len(headers), info)
    return RawTable(table, headers, info, int(rows), [])


def _check_parquet_sizes(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> None:
    """Refuse a Parquet file with a column chunk over 1 MiB that expands more than
    ``MAX_PACK_RATIO`` times (a few kB holding a value of hundreds of MB). The total size is
    not bounded here: DuckDB streams Parquet and spills to disk."""
    try:
        column, ratio = con.execute(
            _PARQUET_SIZES, {"path": str(info.path), "big": 2**20}
        ).fetchone()
    except duckdb.Error as exc:
        raise IngestError(info.name, f"not a readable Parquet file ({_first_line(exc)})") from None
    if ratio is not None and ratio > MAX_PACK_RATIO:
        raise IngestError(
            info.name,
            f"the column expands {ratio:,} times (more than {MAX_PACK_RATIO}): refused "
            "as a possible decompression bomb",
            column=column,
        )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Spreadsheets


def _open_workbook(info: SourceInfo) -> Any:
    from python_calamine import CalamineWorkbook

    if not info.archive_checked:
        check_archive(info)
    try:
        return CalamineWorkbook.from_path(str(info.path))
    except Exception as exc:  # calamine raises several private error types
        raise IngestError(info.name, f"not a readable spreadsheet ({_first_line(exc)})") from None


_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_XML_PARTS = (".xml", ".rels", ".vml")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
#: Start tags of cells and rows, without and with a namespace prefix (``<x:c r="A1">``).
_PREFIXED = re.compile(rb":(?:c|row)[\s>/]")
_CELL_REF = re.compile(rb"<c\s[^>]*?\br\s*=\s*[\"']([A-Z]+)([0-9]+)")
_CELL_REF_NS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br\s*=\s*[\"']([A-Z]+)([0-9]+)")
_CELL_START = re.compile(rb"<c[\s>/]")
_CELL_START_NS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_ROW_REF = re.compile(rb"<row\s[^>]*?\br\s*=\s*[\"']([0-9]+)")
_ROW_REF_NS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br\s*=\s*[\"']([0-9]+)")
_ROW_START = re.compile(rb"<row[\s>/]")
_ROW_START_NS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def _largest_number(digits: list[bytes]) -> int:
    """Largest of decimal numbers written as bytes, without converting them all."""
    if not digits:
        return 0
    width = max(map(len, digits))
    return int(max(d for d in digits if len(d) == width))


def _column_number(letters: bytes) -> int:
    n = 0
    for b in letters:
        n = n * 26 + (b - 64)
    return n


def column_letters(n: int) -> str:
    """Spreadsheet column letters of a 1-based column number (1 -> A, 27 -> AA)."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class _SheetExtent:
    """Upper bounds of the last row and column a worksheet part reaches, fed by chunks of
    its XML that end on a tag boundary. Cells and rows without an ``r`` reference follow the
    one before them, so each counts one more row or column."""

    rows: int = 0
    columns: int = 0

    def feed(self, data: bytes) -> None:
        prefixed = _PREFIXED.search(data) is not None
        cell_ref, cell_start = (
            (_CELL_REF_NS, _CELL_START_NS) if prefixed else (_CELL_REF, _CELL_START)
        )
        row_ref, row_start = (_ROW_REF_NS, _ROW_START_NS) if prefixed else (_ROW_REF, _ROW_START)
        cells = cell_ref.findall(data)
        row_refs = row_ref.findall(data)
        implicit_rows = max(0, len(row_start.findall(data)) - len(row_refs))
        max_row = _largest_number(row_refs)
        if cells:
            max_row = max(max_row, _largest_number([c[1] for c in cells]))
            widest = max({c[0] for c in cells}, key=lambda x: (len(x), x))
            self.columns = max(self.columns, _column_number(widest))
        self.rows = max(self.rows, max_row) + implicit_rows
        if len(cell_start.findall(data)) > len(cells):
            per_row = max(len(cell_start.findall(piece)) for piece in data.split(b"row>"))
            self.columns += per_row


def _part_error(info: SourceInfo, part: str, reason: str) -> IngestError:
    return IngestError(info.name, f"not a readable spreadsheet (part {part!r} {reason})")


def _check_part(zf: zipfile.ZipFile, part: zipfile.ZipInfo, info: SourceInfo, budget: int) -> int:
    """Inflate one part in chunks (never more than ``budget`` bytes); refuse XML that
    declares a DTD or entities, XML that is not UTF-8, and XLSX sheets spanning too many
    cells. Returns the unpacked size."""
    xml = part.filename.lower().endswith(_XML_PARTS)
    extent = _SheetExtent()
    size = 0
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(CHUNK_BYTES):
            size += len(chunk)
            if size > budget:
                raise IngestError(
                    info.name,
                    f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB "
                    f"(part {part.filename!r}): refused as a possible zip bomb",
                )
            if not xml:
                continue
            if b"\x00" in chunk or (
                size == len(chunk) and chunk.startswith((b"\xff\xfe", b"\xfe\xff"))
            ):
                raise _part_error(info, part.filename, "is not UTF-8 XML")
            data = tail + chunk
            if _DTD.search(data):
                raise IngestError(
                    info.name,
                    f"part {part.filename!r} declares a DTD or XML entities: refused, "
                    "a workbook never needs them (entity expansion attack)",
                )
            cut = data.rfind(b"row>") + 4
            if cut < len(data) // 2:
                cut = data.rfind(b">") + 1
            if cut == 0 and len(data) > 4 * CHUNK_BYTES:
                cut = len(data) - 64
            extent.feed(data[:cut])
            tail = data[cut:]
    if xml and tail:
        extent.feed(tail)
    cells = extent.rows * extent.columns
    if cells > MAX_SHEET_CELLS:
        raise IngestError(
            info.name,
            f"a sheet ({part.filename}) reaches row {extent.rows:,} and column "
            f"{column_letters(extent.columns)}, a rectangle of {cells:,} cells (more than "
            f"{MAX_SHEET_CELLS:,}): delete the stray cells far from the table, or export "
            "the ledger as CSV",
            row=extent.rows,
        )
    return size


def check_archive(info: SourceInfo) -> None:
    """Refuse a spreadsheet archive before the spreadsheet reader opens it when it could
    exhaust the memory: more than ``MAX_ARCHIVE_PARTS`` parts, parts that unpack (as declared
    or as actually inflated) to more than ``MAX_UNPACKED_BYTES`` in all, a part of more than
    1 MiB that expands more than ``MAX_PACK_RATIO`` times, XML declaring a DTD or entities
    ("billion laughs"), or an XLSX sheet whose cells span more than ``MAX_SHEET_CELLS``.
    Files that are not zip archives (XLS) are left to the reader.
    """
    if not zipfile.is_zipfile(info.path):
        info.archive_checked = True
        return
    try:
        with zipfile.ZipFile(info.path) as zf:
            parts = [p for p in zf.infolist() if not p.is_dir()]
            if len(parts) > MAX_ARCHIVE_PARTS:
                raise IngestError(
                    info.name, f"{len(parts):,} parts in the archive: this is not a workbook"
                )
            declared = sum(p.file_size for p in parts)
            if declared > MAX_UNPACKED_BYTES:
                raise IngestError(
                    info.name,
                    f"the workbook declares {declared / 2**20:,.0f} MB once unpacked, more "
                    f"than {MAX_UNPACKED_BYTES // 2**20} MB: refused as a possible zip bomb",
                )
            for p in parts:
                if p.file_size > 2**20 and p.file_size > MAX_PACK_RATIO * max(p.compress_size, 1):
                    raise IngestError(
                        info.name,
                        f"part {p.filename!r} expands {p.file_size // max(p.compress_size, 1):,} "
                        f"times (more than {MAX_PACK_RATIO}): refused as a possible zip bomb",
                    )
            used = 0
            for p in parts:
                used += _check_part(zf, p, info, MAX_UNPACKED_BYTES - used)
    except _ARCHIVE_ERRORS as exc:
        raise IngestError(
            info.name, f"not a readable spreadsheet (damaged archive: {_first_line(exc)})"
        ) from None
    info.archive_checked = True


def _sheet_rows(wb: Any, sheet: str, info: SourceInfo) -> list[list[Any]]:
    try:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several private error types
        raise IngestError(
            info.name, f"sheet {sheet!r} cannot be read ({_first_line(exc)})"
        ) from None


def _sniff_spreadsheet(info: SourceInfo, sheet: str | None) -> None:
    wb = _open_workbook(info)
    info.sheets = list(wb.sheet_names)
    if not info.sheets:
        raise IngestError(info.name, "the workbook has no sheet")
    if sheet is not None:
        if sheet not in info.sheets:
            raise IngestError(
                info.name, f"no sheet named {sheet!r} (sheets: {', '.join(info.sheets)})"
            )
        chosen = sheet
        rows = _sheet_rows(wb, chosen, info)
    else:
        chosen, rows = "", []
        for s in info.sheets:
            rows = _sheet_rows(wb, s, info)
            if any(_filled(r) for r in rows):
                chosen = s
                break
        if not chosen:
            raise IngestError(info.name, "the file is empty (no sheet holds data)", row=1)
        if len(info.sheets) > 1:
            info.notes.append(f"sheet {chosen!r} (of {len(info.sheets)})")
    info.sheet = chosen
    idx = _spreadsheet_header(rows, info)
    info.header_row = idx + 1
    titles = sum(1 for r in rows[:idx] if _filled(r))
    if titles:
        info.notes.append(
            f"{titles} title row{'s' if titles > 1 else ''} skipped (header on "
            f"row {info.header_row})"
        )


def _filled(row: list[Any]) -> int:
    return sum(1 for c in row if c is not None and str(c).strip() != "")


def _width(row: list[Any]) -> int:
    for i in range(len(row) - 1, -1, -1):
        if row[i] is not None and str(row[i]).strip() != "":
            return i + 1
    return 0


def _spreadsheet_header(rows: list[list[Any]], info: SourceInfo) -> int:
    sample = [(i, r) for i, r in enumerate(rows[: SNIFF_LINES * 2]) if _filled(r)]
    if not sample:
        raise IngestError(info.name, f"sheet {info.sheet!r} is empty", row=1)
    width = max(_width(r) for _, r in sample)
    if width > MAX_COLUMNS:
        raise IngestError(
            info.name, f"{width} columns: more than {MAX_COLUMNS}, this is not a ledger"
        )
    need = max(2, math.ceil(0.6 * width))
    for i, r in sample:
        cells = [c for c in r if c is not None and str(c).strip() != ""]
        if len(cells) >= need and all(isinstance(c, str) for c in cells):
            return i
    for i, r in sample:
        if _filled(r) >= need:
            return i
    raise IngestError(info.name, "not a table: no row looks like a header", row=sample[0][0] + 1)


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as text: ISO dates, integral floats without ``.0``, true/false.

    Other floats lose binary noise: 15 significant digits, then at most 9 decimals
    (1234.5600000001 -> "1234.56", 0.1 + 0.2 -> "0.3").
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(round(float(f"{value:.15g}"), 9))
    text = str(value)
    return text if text.strip() != "" else None


def _read_spreadsheet(con: duckdb.DuckDBPyConnection, info: SourceInfo, table: str) -> RawTable:
    wb = _open_workbook(info)
    sheet = info.sheet or (info.sheets[0] if info.sheets else wb.sheet_names[0])
    rows = _sheet_rows(wb, sheet, info)
    hdr_idx = info.header_row - 1
    if hdr_idx >= len(rows):
        raise IngestError(
            info.name, "the header row is beyond the end of the sheet", row=info.header_row
        )
    header_cells = rows[hdr_idx][: _width(rows[hdr_idx])]
    headers = _unique_headers([cell_text(c) or "" for c in header_cells], info)
    n = len(headers)
    _create_raw(con, table, n)
    rejects: list[Reject] = []
    batch: list[list[Any]] = []
    count = 0
    for i in range(hdr_idx + 1, len(rows)):
        r = rows[i]
        w = _width(r)
        if w == 0:
            continue
        texts = [cell_text(c) for c in r[: max(w, n)]]
        if w > n:
            rejects.append(
                Reject(
                    i + 1,
                    f"row has {w} values, the header has {n}",
                    "\t".join(t or "" for t in texts),
                )
            )
            continue
        texts += [None] * (n - len(texts))
        batch.append([i + 1, *texts[:n]])
        count += 1
        if len(batch) >= BATCH_ROWS:
            _insert_rows(con, table, n, batch)
            batch = []
    _insert_rows(con, table, n, batch)
    _note_totals_row(con, table, n, info)
    return RawTable(table, headers, info, count + len(rejects), rejects)
