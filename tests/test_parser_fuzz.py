"""Property-based fuzzing of the parsers.

Byte level: any bytes, named .csv, .xlsx, .parquet or .txt (random bytes, text made of the
characters that matter to a CSV reader, and real CSV, XLSX and Parquet files with bytes
flipped, cut or inserted) are either read or refused with ``IngestError`` whose message is one
line starting with the file name; through the whole pipeline, either a dataset whose counts and
control totals reconcile, or a documented error, and the earlier dataset intact.

SQL level: the parse.py expressions for amounts, numbers, dates and yes/no values, run over
arbitrary text, never raise, and give for every non-blank value either a value or a reason,
never both; the fast paths agree with the general expressions.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import parse
from analytics.ingest import IngestError, read_raw, sniff
from analytics.pipeline import InputFile, LoadError, load_files
from analytics.store import Workspace
from tests.hostile import make

FILES = Path(__file__).resolve().parent / "hostile" / "files"
SEEDS = {
    ".csv": make.text_file(make.HEADER, *make.ROWS),
    ".xlsx": (FILES / "really_an_xlsx.csv").read_bytes(),
    ".parquet": (FILES / "float_amounts.parquet").read_bytes(),
}
SUFFIXES = [".csv", ".xlsx", ".parquet", ".txt"]

#: Characters that steer a CSV reader: separators, quotes, line ends, digits, signs, spaces.
_CSV_ALPHABET = st.sampled_from(
    list(";,\t|\"'\r\n 0123456789.-()€=+@abcdéÃ\u00a0\u202f\ufeff\x00\x1a")
    + ["N° facture", "Code client", "Date facture", "Montant TTC", "05/01/2026", "1 234,56"]
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    """A real file of one format with a few bytes flipped, cut out or inserted."""
    suffix = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[suffix])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at:]
    return bytes(data), draw(st.sampled_from([suffix, *SUFFIXES]))


ANY_FILE = st.one_of(
    st.tuples(st.binary(max_size=2048), st.sampled_from(SUFFIXES)),
    st.tuples(
        st.lists(_CSV_ALPHABET, max_size=300).map(lambda xs: "".join(xs).encode("utf-8")),
        st.sampled_from([".csv", ".txt"]),
    ),
    mutated(),
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="encours-fuzz-") as d:
        yield Path(d)


def _write(scratch: Path, content: bytes, suffix: str) -> Path:
    path = scratch / f"fuzz{suffix}"
    path.write_bytes(content)
    return path


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=ANY_FILE)
def test_any_bytes_are_read_or_refused_with_one_line_naming_the_file(
    scratch: Path, case: tuple[bytes, str]
) -> None:
    content, suffix = case
    path = _write(scratch, content, suffix)
    con = duckdb.connect()
    try:
        raw = read_raw(con, sniff(path), "raw")
    except IngestError as err:
        message = str(err)
        assert message.startswith(path.name) and "\n" not in message, message
        return
    finally:
        con.close()
    assert raw.rows_read >= len(raw.rejects)
    assert all(r.line_no >= 1 and r.reason for r in raw.rejects)


@pytest.fixture(scope="module")
def workspace(scratch: Path) -> Iterator[Workspace]:
    ws = Workspace(scratch / "workspace.duckdb")
    load_files(
        ws, [InputFile(FILES.parent.parent / "data/styles/sage_fr_cp1252.csv")], bounded=False
    )
    yield ws
    ws.close()


def _first_dataset(ws: Workspace) -> tuple:
    return (
        ws.cursor()
        .execute("SELECT count(*), sum(amount) FROM invoices WHERE dataset_id = 1")
        .fetchone()
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.one_of(mutated(), ANY_FILE))
def test_any_bytes_through_the_pipeline_give_a_reconciled_dataset_or_a_documented_error(
    workspace: Workspace, scratch: Path, case: tuple[bytes, str]
) -> None:
    content, suffix = case
    path = _write(scratch, content, suffix)
    before = _first_dataset(workspace)
    try:
        report = load_files(workspace, [InputFile(path)], bounded=False)
    except (LoadError, IngestError) as err:
        message = str(err)
        assert message.startswith(path.name) and "\n" not in message, message
    else:
        if not report.already_loaded:
            [f] = report.files
            assert f.rows_read == f.rows_loaded + f.rows_rejected
            assert f.amount_read == f.amount_loaded + f.amount_rejected
            stored = (
                workspace.cursor()
                .execute(
                    "SELECT count(*), coalesce(sum(amount), 0) FROM invoices WHERE dataset_id = ?",
                    [report.dataset_id],
                )
                .fetchone()
            )
            assert stored == (f.rows_loaded, f.amount_loaded)
            workspace.delete_dataset(report.dataset_id)
    assert _first_dataset(workspace) == before


# --------------------------------------------------------------------------------------------
# The SQL expressions of parse.py over arbitrary text

_NUMBER_CHARACTERS = "0123456789 ,.-+()€$'’%eE\u00a0\u202f/:T"
_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(list(_NUMBER_CHARACTERS)), max_size=20),
)
_AMOUNT_FORMATS = [parse.AmountFormat(","), parse.AmountFormat(".")]
#: "ymd" reads d/m/y-shaped values day-first: it gives what "dmy" gives.
_DATE_FORMATS = [parse.DateFormat("dmy"), parse.DateFormat("mdy")]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _table(con: duckdb.DuckDBPyConnection, values: list[str | None]) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE t AS SELECT unnest(range(len($v))) AS i, "
        "unnest(CAST($v AS VARCHAR[])) AS c0",
        {"v": values},
    )


def _blank(value: str | None) -> bool:
    return value is None or value.strip(" \t\n\f\r\u00a0\u202f\u2009\ufeff") == ""


def _columns(parts: list[list[str]]) -> str:
    return ", ".join(e for group in parts for e in group)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=80))
def test_any_text_gives_an_amount_or_a_reason_never_both_and_never_an_error(
    con: duckdb.DuckDBPyConnection, values: list[str | None]
) -> None:
    _table(con, values)
    detected = parse.detect_amount_format(con, "t", "c0")
    formats = [*_AMOUNT_FORMATS, *([detected] if detected not in _AMOUNT_FORMATS else [])]
    parts = []
    for fmt in formats:
        general = parse.amount_sql("c0", fmt)
        parts.append(
            [
                general,
                parse.amount_error_sql("c0", fmt),
                parse.with_fast_paths("c0", general, parse.amount_fast_paths("c0", fmt), None),
                parse.number_sql("c0", fmt),
                parse.number_error_sql("c0", fmt),
            ]
        )
    rows = con.execute("SELECT c0, " + _columns(parts) + " FROM t ORDER BY i").fetchall()
    for raw, *results in rows:
        for k in range(len(formats)):
            value, error, fast_value, number, number_error = results[5 * k : 5 * k + 5]
            assert fast_value == value, raw
            if _blank(raw):
                assert value is None and error is None, raw
                continue
            assert (value is None) != (error is None), (raw, value, error)
            assert (number is None) != (number_error is None), (raw, number, number_error)
            if value is not None:
                assert abs(value) < Decimal("1e16")


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=80))
def test_any_text_gives_a_date_or_a_reason_and_yes_no_values_likewise(
    con: duckdb.DuckDBPyConnection, values: list[str | None]
) -> None:
    _table(con, values)
    detected = parse.detect_date_format(con, "t", ["c0"])
    formats = [*_DATE_FORMATS, *([detected] if detected not in _DATE_FORMATS else [])]
    parts = [[parse.bool_sql("c0"), parse.bool_error_sql("c0")]]
    for fmt in formats:
        general = parse.date_sql("c0", fmt)
        parts.append(
            [
                general,
                parse.date_error_sql("c0", fmt),
                parse.with_fast_paths("c0", general, parse.date_fast_paths("c0", fmt), None),
            ]
        )
    rows = con.execute("SELECT c0, " + _columns(parts) + " FROM t ORDER BY i").fetchall()
    for raw, flag, flag_error, *results in rows:
        if _blank(raw):
            assert flag is None and flag_error is None and not any(results), raw
            continue
        assert (flag is None) != (flag_error is None), (raw, flag, flag_error)
        for k in range(len(formats)):
            value, error, fast_value = results[3 * k : 3 * k + 3]
            assert fast_value == value, raw
            assert (value is None) != (error is None), (raw, value, error)


_GROUPS = {",": ["\u00a0", "\u202f", " ", ".", ""], ".": [",", "", "'"]}


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cents=st.integers(-(10**15), 10**15),
    mark=st.sampled_from([",", "."]),
    data=st.data(),
)
def test_an_amount_written_the_way_an_export_writes_it_reads_back_exactly(
    con: duckdb.DuckDBPyConnection, cents: int, mark: str, data: st.DataObject
) -> None:
    amount = Decimal(cents).scaleb(-2)
    group = data.draw(st.sampled_from(_GROUPS[mark]))
    whole, frac = f"{abs(amount):.2f}".split(".")
    if group:
        whole = f"{int(whole):,}".replace(",", group)
    body = f"{whole}{mark}{frac}"
    negative = amount < 0
    form = data.draw(
        st.sampled_from(["-{}", "({})", "{}-", "\u2212{}"] if negative else ["{}", "+{}"])
    )
    currency = data.draw(st.sampled_from(["{}", "{} €", "€{}", "EUR {}", " {} "]))
    text = currency.format(form.format(body))
    _table(con, [text])
    fmt = parse.AmountFormat(mark)
    value, error = con.execute(
        "SELECT "
        + parse.amount_sql("c0", fmt)
        + ", "
        + parse.amount_error_sql("c0", fmt)
        + " FROM t"
    ).fetchone()
    assert (value, error) == (amount, None), text
