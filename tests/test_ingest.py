"""Tests of analytics.ingest: sniffing and reading files as text, over the corpus in tests/data."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analytics.ingest import (
    IngestError,
    RawTable,
    Reject,
    SourceInfo,
    cell_text,
    read_raw,
    sniff,
)
from analytics.parse import amount_sql, date_sql, detect_amount_format, detect_date_format

DATA = Path(__file__).resolve().parent / "data"
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
STYLES = MANIFEST["styles"]
MALFORMED = MANIFEST["malformed"]
READABLE = [m for m in MALFORMED if "error" not in m]
UNREADABLE = [m for m in MALFORMED if "error" in m]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "ingest.duckdb"))
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, path: Path, **overrides: Any) -> RawTable:
    return read_raw(con, sniff(path, **overrides), "raw")


def line_numbers(con: duckdb.DuckDBPyConnection, table: str = "raw") -> list[int]:
    return [r[0] for r in con.execute(f"SELECT line_no FROM {table} ORDER BY line_no").fetchall()]


def column(raw: RawTable, header: str) -> str:
    return f"c{raw.headers.index(header)}"


def control_total(
    con: duckdb.DuckDBPyConnection, raw: RawTable, header: str
) -> tuple[Decimal, int]:
    """Sum of the amount column and the number of values that did not parse."""
    col = column(raw, header)
    fmt = detect_amount_format(
        con, raw.table, col, default_mark="," if raw.info.separator == ";" else "."
    )
    expr = amount_sql(col, fmt)
    total, bad = con.execute(
        f"SELECT sum({expr}), count(*) FILTER (WHERE {expr} IS NULL) FROM {raw.table}"
    ).fetchall()[0]
    return total, bad


# --------------------------------------------------------------------------------------------
# The export-style corpus


@pytest.mark.parametrize("case", STYLES, ids=[s["file"] for s in STYLES])
def test_every_export_style_is_sniffed_as_the_manifest_says(case: dict[str, Any]) -> None:
    info = sniff(DATA / case["file"])
    assert info.kind == case["kind"]
    assert (info.encoding, info.separator, info.header_row) == (
        case["encoding"],
        case["separator"],
        case["header_row"],
    )
    if case["sheet"] is not None:
        assert info.sheet == case["sheet"]
        assert case["sheet"] in info.sheets


@pytest.mark.parametrize("case", STYLES, ids=[s["file"] for s in STYLES])
def test_every_export_style_reads_all_rows_and_the_control_total(
    con: duckdb.DuckDBPyConnection, case: dict[str, Any]
) -> None:
    raw = load(con, DATA / case["file"])
    assert raw.headers == case["headers"]
    assert raw.rows_read == case["rows_read"]
    assert raw.rejects == []
    total, bad = control_total(con, raw, case["amount_header"])
    assert (str(total), bad) == (case["control_total"], 0)


@pytest.mark.parametrize("case", STYLES, ids=[s["file"] for s in STYLES])
def test_every_export_style_gives_the_expected_dates(
    con: duckdb.DuckDBPyConnection, case: dict[str, Any]
) -> None:
    raw = load(con, DATA / case["file"])
    fmt = detect_date_format(con, raw.table, [column(raw, h) for h in case["date_headers"]])
    assert not fmt.ambiguous
    for expected in case["dates"]:
        expr = date_sql(column(raw, expected["header"]), fmt)
        got = con.execute(
            f"SELECT {expr} FROM raw WHERE line_no = ?", [expected["line_no"]]
        ).fetchall()
        assert got == [(dt.date.fromisoformat(expected["value"]),)], expected


def test_the_corpus_holds_at_least_twelve_styles_and_fifteen_malformed_files() -> None:
    assert len(STYLES) >= 12
    assert len(MALFORMED) >= 15
    for case in STYLES + MALFORMED:
        assert (DATA / case["file"]).is_file(), case["file"]


# --------------------------------------------------------------------------------------------
# Malformed files


@pytest.mark.parametrize("case", UNREADABLE, ids=[m["file"] for m in UNREADABLE])
def test_a_file_that_cannot_be_read_raises_one_clear_line(
    con: duckdb.DuckDBPyConnection, case: dict[str, Any]
) -> None:
    path = DATA / case["file"]
    with pytest.raises(IngestError) as caught:
        load(con, path)
    message = str(caught.value)
    assert case["error"] in message
    assert message.startswith(path.name)
    assert "\n" not in message


@pytest.mark.parametrize("case", READABLE, ids=[m["file"] for m in READABLE])
def test_a_malformed_but_readable_file_gives_the_expected_rows_and_rejects(
    con: duckdb.DuckDBPyConnection, case: dict[str, Any]
) -> None:
    raw = load(con, DATA / case["file"])
    assert raw.rows_read == case["rows_read"]
    assert [(r.line_no, r.reason) for r in raw.rejects] == [
        (r["line_no"], r["reason"]) for r in case["rejects"]
    ]
    assert raw.rows_read == len(line_numbers(con)) + len(raw.rejects)
    if "headers" in case:
        assert raw.headers == case["headers"]
    if "header_row" in case:
        assert raw.info.header_row == case["header_row"]
    if "line_nos" in case:
        assert line_numbers(con) == case["line_nos"]
    for fragment in case.get("notes", []):
        assert any(fragment in note for note in raw.info.notes), (fragment, raw.info.notes)
    if case.get("control_total"):
        total, bad = control_total(con, raw, case["amount_header"])
        assert (str(total), bad) == (case["control_total"], 0)


def test_impossible_dates_are_read_as_text_and_fail_to_parse_where_expected(
    con: duckdb.DuckDBPyConnection,
) -> None:
    case = next(m for m in MALFORMED if m["file"].endswith("impossible_dates.csv"))
    raw = load(con, DATA / case["file"])
    fmt = detect_date_format(con, raw.table, [column(raw, h) for h in case["date_headers"]])
    bad = set()
    for header in case["date_headers"]:
        expr = date_sql(column(raw, header), fmt)
        rows = con.execute(f"SELECT line_no FROM raw WHERE {expr} IS NULL").fetchall()
        bad |= {(r[0], header) for r in rows}
    assert bad == {(b["line_no"], b["header"]) for b in case["bad_dates"]}


def test_amounts_in_words_fail_to_parse_with_their_reasons(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from analytics.parse import AmountFormat, amount_error_sql

    case = next(m for m in MALFORMED if m["file"].endswith("amounts_in_words.csv"))
    raw = load(con, DATA / case["file"])
    expr = amount_error_sql(column(raw, case["amount_header"]), AmountFormat(","))
    rows = con.execute(
        f"SELECT line_no, {expr} FROM raw WHERE {expr} IS NOT NULL ORDER BY line_no"
    ).fetchall()
    assert rows == [(b["line_no"], b["reason"]) for b in case["bad_amounts"]]


# --------------------------------------------------------------------------------------------
# Named cases


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def test_an_empty_file_names_the_file_and_row_one(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        sniff(write(tmp_path, "factures.csv", b""))
    err = caught.value
    assert str(err) == "factures.csv, row 1: the file is empty"
    assert (err.file, err.row, err.column) == ("factures.csv", 1, None)


def test_a_header_only_file_reads_zero_rows_without_error(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    raw = load(con, write(tmp_path, "h.csv", "Client;Montant\r\n"))
    assert (raw.rows_read, raw.rejects, raw.headers) == (0, [], ["Client", "Montant"])
    assert line_numbers(con) == []


def test_a_line_longer_than_one_megabyte_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path, "long.csv", "a;b\n1;2\n3;" + "x" * 1_100_000 + "\n5;6\n")
    with pytest.raises(IngestError, match="longer than 1 MB"):
        load(con, path)


def test_a_first_line_longer_than_one_megabyte_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="longer than 1 MB"):
        sniff(write(tmp_path, "long.csv", "a;" * 600_000))


def test_a_file_of_1001_columns_is_refused_and_1000_columns_are_read(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ok = write(
        tmp_path,
        "ok.csv",
        ";".join(f"h{i}" for i in range(1000)) + "\n" + ";".join("1" for _ in range(1000)) + "\n",
    )
    assert len(load(con, ok).headers) == 1000
    wide = write(
        tmp_path,
        "wide.csv",
        ";".join(f"h{i}" for i in range(1001)) + "\n" + ";".join("1" for _ in range(1001)) + "\n",
    )
    with pytest.raises(IngestError, match="1001 columns"):
        sniff(wide)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        sniff(tmp_path / "nope.csv", name="nope.csv")


def test_the_display_name_is_used_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "upload_8f3a.tmp", b"")
    with pytest.raises(IngestError, match="^Relevé mars.csv, row 1: "):
        sniff(path, name="Relevé mars.csv")


def test_a_parquet_file_keeps_row_numbers_and_iso_dates(con: duckdb.DuckDBPyConnection) -> None:
    load(con, DATA / "styles" / "odoo_export.parquet")
    rows = con.execute("SELECT line_no, c2, c4 FROM raw ORDER BY line_no LIMIT 2").fetchall()
    assert rows == [(1, "2026-01-05", "1234.56"), (2, "2026-01-12", "18750.00")]


def test_a_spreadsheet_row_number_is_its_excel_row(con: duckdb.DuckDBPyConnection) -> None:
    """Title block on rows 1-2, blank row 3, header row 4: the first invoice is row 5."""
    raw = load(con, DATA / "styles" / "cegid_balance_agee.xlsx")
    assert raw.info.sheets == ["Couverture", "Balance âgée"]
    first = con.execute("SELECT line_no, c2, c3, c5, c6 FROM raw ORDER BY line_no LIMIT 1")
    assert first.fetchall() == [(5, "FA-2026-0001", "2026-01-05", "1234.56", None)]
    flagged = con.execute("SELECT line_no FROM raw WHERE c6 = 'true'").fetchall()
    assert flagged == [(9,)]


def test_a_chosen_sheet_wins_and_an_unknown_sheet_is_a_clear_error() -> None:
    path = DATA / "styles" / "cegid_balance_agee.xlsx"
    assert sniff(path, sheet="Balance âgée").sheet == "Balance âgée"
    with pytest.raises(IngestError, match="no sheet named 'Feuil9'"):
        sniff(path, sheet="Feuil9")
    with pytest.raises(IngestError, match="empty"):
        sniff(path, sheet="Couverture")


def test_a_spreadsheet_file_named_csv_is_read_as_a_spreadsheet(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path, "export.csv", (DATA / "styles" / "cegid_balance_agee.xlsx").read_bytes())
    raw = load(con, path)
    assert raw.info.kind == "xlsx"
    assert raw.rows_read == 10
    assert any("read as XLSX" in n for n in raw.info.notes)


def test_an_encoding_and_a_separator_chosen_by_the_user_win(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path, "x.csv", "Nom,Ville;Montant\nCafé,Lyon;1\n", encoding="utf-8")
    raw = load(con, path, encoding="latin-1", separator=";")
    assert raw.headers == ["Nom,Ville", "Montant"]
    assert con.execute("SELECT c0 FROM raw").fetchall() == [("CafÃ©,Lyon",)]
    assert "encoding latin-1 (chosen by the user)" in raw.info.notes


def test_an_unknown_encoding_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="unknown encoding 'klingon'"):
        sniff(write(tmp_path, "x.csv", "a;b\n1;2\n"), encoding="klingon")


@pytest.mark.parametrize(
    ("raw_bytes", "expected"),
    [
        (b"a;b\n\xe9t\xe9;1\n", "cp1252"),
        (b"a;b\n\x81t\xe9;1\n", "latin-1"),
        ("a;b\nété;1\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "a;b\nété;1\n".encode(), "utf-8-sig"),
        ("a;b\nété;1\n".encode("utf-16"), "utf-16"),
    ],
    ids=["cp1252", "latin-1", "utf-8", "utf-8-bom", "utf-16"],
)
def test_the_encoding_is_the_first_that_decodes_the_whole_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, raw_bytes: bytes, expected: str
) -> None:
    raw = load(con, write(tmp_path, "e.csv", raw_bytes))
    assert raw.info.encoding == expected
    assert raw.headers == ["a", "b"]


def test_a_non_utf8_byte_far_into_the_file_is_found(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The sniffed head is pure ASCII; the only é (cp1252 0xE9) is past the first 5 MB."""
    body = "a;b\n" + "x;1\n" * 1_500_000 + "caf\xe9;2\n"
    raw = load(con, write(tmp_path, "far.csv", body.encode("cp1252")))
    assert raw.info.encoding == "cp1252"
    last = con.execute("SELECT line_no, c0 FROM raw ORDER BY line_no DESC LIMIT 1").fetchall()
    assert last == [(1_500_002, "café")]


def test_a_utf8_character_split_across_read_chunks_stays_utf8(tmp_path: Path) -> None:
    from analytics import ingest

    head = "a;b\n" + "x" * (ingest.CHUNK_BYTES - 5) + ";1\n"
    body = head + "é" * 3 + ";2\n"
    assert sniff(write(tmp_path, "split.csv", body)).encoding == "utf-8"


def test_a_totals_row_is_kept_and_reported(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    raw = load(con, write(tmp_path, "t.csv", "Client;Montant\nC1;10\nC2;20\nTotal général;30\n"))
    assert raw.rows_read == 3
    assert any("totals row" in n and "Total général" in n for n in raw.info.notes)


def test_blank_lines_are_not_rows_and_line_numbers_skip_them(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Lines: 1 header, 2 row, 3-4 blank, 5 row, 6 blank (CRLF), 7 row."""
    raw = load(con, write(tmp_path, "b.csv", "a;b\n1;2\n\n\n3;4\n\r\n5;6\n"))
    assert raw.rows_read == 3
    assert line_numbers(con) == [2, 5, 7]


def test_an_excel_text_forced_cell_and_quoted_separators_survive(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    raw = load(con, write(tmp_path, "q.csv", 'Id,Name,Amount\n="00123","Dupont, SA","1,234.50"\n'))
    assert con.execute("SELECT c0, c1, c2 FROM raw").fetchall() == [
        ('="00123"', "Dupont, SA", "1,234.50")
    ]
    assert raw.rows_read == 1


def test_a_badly_quoted_field_is_a_structural_reject(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    raw = load(con, write(tmp_path, "bq.csv", 'a;b;c\n1;2;3\n4;"5"x;6\n7;8;9\n'))
    assert raw.rows_read == 3
    assert [r.line_no for r in raw.rejects] == [3]
    assert line_numbers(con) == [2, 4]


def test_the_table_name_must_be_a_plain_identifier(con: duckdb.DuckDBPyConnection) -> None:
    info = sniff(DATA / "styles" / "odoo_en.csv")
    with pytest.raises(ValueError, match="not a plain table name"):
        read_raw(con, info, "raw; DROP TABLE x")


@pytest.mark.parametrize(
    "name",
    [
        "styles/sage_fr_cp1252.csv",
        "malformed/ragged_rows.csv",
        "malformed/multiline_quoted.csv",
        "styles/odoo_export.parquet",
        "styles/cegid_balance_agee.xlsx",
    ],
)
def test_the_raw_table_has_text_columns_and_a_line_number_on_every_path(
    con: duckdb.DuckDBPyConnection, name: str
) -> None:
    raw = load(con, DATA / name)
    cols = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'raw'"
        ).fetchall()
    )
    assert cols.pop("line_no") == "BIGINT"
    assert cols == {f"c{i}": "VARCHAR" for i in range(len(raw.headers))}


def test_line_numbers_follow_the_file_even_without_insertion_order(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con.execute("SET preserve_insertion_order = false")
    body = "a;b\n" + "".join(f"{i};x\n" for i in range(2, 20_002))
    load(con, write(tmp_path, "o.csv", body))
    mismatched = con.execute("SELECT count(*) FROM raw WHERE CAST(c0 AS BIGINT) <> line_no")
    assert mismatched.fetchall() == [(0,)]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [
        (False,)
    ]


def test_no_work_table_is_left_behind(con: duckdb.DuckDBPyConnection) -> None:
    load(con, DATA / "malformed" / "ragged_rows.csv")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"raw"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("abc", "abc"),
        (True, "true"),
        (False, "false"),
        (1234.0, "1234"),
        (1234.56, "1234.56"),
        (1234.5600000001, "1234.56"),
        (0.1 + 0.2, "0.3"),
        (-250.0, "-250"),
        (12, "12"),
        (dt.date(2026, 1, 31), "2026-01-31"),
        (dt.datetime(2026, 1, 31), "2026-01-31"),
        (dt.datetime(2026, 1, 31, 13, 5), "2026-01-31 13:05:00"),
        (float("nan"), None),
    ],
    ids=lambda v: repr(v),
)
def test_a_spreadsheet_cell_becomes_the_text_a_csv_export_would_hold(
    value: Any, expected: str | None
) -> None:
    assert cell_text(value) == expected


# --------------------------------------------------------------------------------------------
# Line numbers: the DuckDB bulk path against an exact Python reference


def reference_rows(text: str, sep: str, header_line: int, n: int) -> tuple[list[int], list[int]]:
    """Good row lines and rejected lines, found with Python's csv module line by line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"')
    good, bad, prev = [], [], 0
    for rec in reader:
        start, prev = prev + 1, reader.line_num
        if start <= header_line or not rec:
            continue
        (good if len(rec) == n else bad).append(start)
    return good, bad


line_kinds = st.lists(
    st.sampled_from(["row", "row", "row", "blank", "crlf_blank", "short", "long", "empty_fields"]),
    min_size=0,
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=line_kinds, titles=st.integers(min_value=0, max_value=2))
def test_line_numbers_match_a_line_by_line_reference(
    tmp_path: Path, kinds: list[str], titles: int
) -> None:
    """The header must stay the dominant shape: more good rows than rows of any other width."""
    assume(kinds.count("row") > max(kinds.count("long"), kinds.count("short")))
    lines = [f"Export {i}" for i in range(titles)] + ([""] if titles else []) + ["a;b;c"]
    for i, kind in enumerate(kinds):
        lines.append(
            {
                "row": f"{i};x;y",
                "blank": "",
                "crlf_blank": "\r",
                "short": f"{i};x",
                "long": f"{i};x;y;z",
                "empty_fields": f"{i};;",
            }[kind]
        )
    text = "\n".join(lines) + "\n"
    path = tmp_path / "ref.csv"
    path.write_text(text, encoding="utf-8", newline="")
    con = duckdb.connect(str(tmp_path / "ref.duckdb"))
    try:
        con.execute("DROP TABLE IF EXISTS raw")
        raw = load(con, path)
        good, bad = reference_rows(text, ";", titles + (1 if titles else 0) + 1, 3)
        assert raw.info.header_row == len(lines) - len(kinds)
        assert line_numbers(con) == good
        assert [r.line_no for r in raw.rejects] == bad
        assert raw.rows_read == len(good) + len(bad)
    finally:
        con.close()


def test_the_header_is_found_when_ragged_rows_outnumber_good_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Below 'a;b;c' there are 4 rows of 3 fields and 3 of 4 fields: the last three quarters
    alone would elect 4 fields, all the lines below the header elect 3 (4 against 3)."""
    text = "a;b;c\n0;x;y\n1;x;y\n2;x;y\n3;x;y\n4;x;y;z\n5;x;y;z\n6;x;y;z\n"
    raw = load(con, write(tmp_path, "ragged.csv", text))
    assert raw.info.header_row == 1
    assert raw.headers == ["a", "b", "c"]
    assert line_numbers(con) == [2, 3, 4, 5]
    assert [r.line_no for r in raw.rejects] == [6, 7, 8]


def test_title_rows_above_the_header_are_skipped_by_the_field_count_below(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = "Export du 31/10/2026;;\n\nN°;Client;Montant\nF1;C1;1,00\nF2;C2;2,00\n"
    raw = load(con, write(tmp_path, "titled.csv", text))
    assert raw.info.header_row == 3
    assert line_numbers(con) == [4, 5]


def test_the_bulk_path_is_used_when_lines_add_up(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    raw = load(con, write(tmp_path, "bulk.csv", "a;b\n1;2\n\n3\n4;5\n"))
    assert not any("line by line" in n for n in raw.info.notes)
    assert line_numbers(con) == [2, 5]
    assert raw.rejects == [Reject(4, "row has 1 field, the header has 2", "3")]


def test_quoted_fields_over_several_lines_fall_back_to_exact_line_numbers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    raw = load(con, write(tmp_path, "ml.csv", 'a;b\n"x\ny";1\n\nz;2\n'))
    assert any("line by line" in n for n in raw.info.notes)
    assert line_numbers(con) == [2, 5]
    assert con.execute("SELECT c0 FROM raw ORDER BY line_no").fetchall() == [("x\ny",), ("z",)]


# --------------------------------------------------------------------------------------------
# Any bytes: read, or a clear IngestError, never another exception


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=400),
        st.text(alphabet=st.sampled_from(list('ab1,;\t|"\n\r é€\x00')), max_size=300).map(
            lambda s: s.encode("utf-8")
        ),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".txt"]),
)
def test_any_bytes_either_read_or_raise_a_clear_ingest_error(
    tmp_path: Path, content: bytes, suffix: str
) -> None:
    path = tmp_path / f"any{suffix}"
    path.write_bytes(content)
    con = duckdb.connect(str(tmp_path / "any.duckdb"))
    try:
        con.execute("DROP TABLE IF EXISTS raw")
        try:
            info = sniff(path)
            raw = read_raw(con, info, "raw")
        except IngestError as err:
            assert str(err).startswith(path.name)
            assert "\n" not in str(err)
            return
        assert isinstance(info, SourceInfo)
        assert raw.rows_read == len(line_numbers(con)) + len(raw.rejects)
    finally:
        con.close()
