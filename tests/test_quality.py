"""Tests of the staging step (analytics.quality) and its fast paths (analytics.parse)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import parse, quality
from analytics.ingest import IngestError, read_raw, sniff
from analytics.mapping import propose
from analytics.parse import AmountFormat, DateFormat

COMMA = AmountFormat(",")
POINT = AmountFormat(".")
HEADER = "N° facture;Code client;Date facture;Date d'échéance;Montant TTC\n"
_VALUES = (
    "CREATE OR REPLACE TABLE t AS SELECT unnest($i::INTEGER[]) AS i, unnest($v::VARCHAR[]) AS c0"
)
_READ = "SELECT {exprs} FROM t ORDER BY i"
_STAGED = "SELECT line_no, invoice_id, invoice_date, due_date, amount, reason, raw FROM {typed}"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "quality.duckdb"))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path_factory.mktemp("fast") / "fast.duckdb"))
    yield connection
    connection.close()


def readings(con: duckdb.DuckDBPyConnection, values: list[str | None], *exprs: str) -> list:
    """Rows of the given SQL expressions over column c0 holding ``values``, in order."""
    con.execute(_VALUES, {"i": list(range(len(values))), "v": values})
    return con.execute(_READ.format(exprs=", ".join(exprs))).fetchall()


def stage(con: duckdb.DuckDBPyConnection, tmp_path: Path, body: str) -> quality.StagedFile:
    path = tmp_path / "factures.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    raw = read_raw(con, sniff(path), "raw_0")
    return quality.stage_file(con, raw, propose(raw.headers, "invoices"), "typed_0")


def staged_rows(con: duckdb.DuckDBPyConnection, s: quality.StagedFile) -> list[tuple]:
    return con.execute(_STAGED.format(typed=s.typed) + " ORDER BY line_no").fetchall()


# --------------------------------------------------------------------------------------------
# Fast paths give exactly the general readings


def test_a_file_of_simple_shapes_is_read_by_the_fast_paths_only(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Three rows, every date dd/mm/yyyy and every amount 'digits,dd' with space groups:
    line 2: 1 234,56 -> 1234.56; line 3: -12,5 -> -12.50; line 4: 7 -> 7.00."""
    s = stage(
        con,
        tmp_path,
        "F1;C1;31/01/2026;02/03/2026;1 234,56\nF2;C1;01/02/2026;03/03/2026;-12,5\n"
        "F3;C2;28/02/2026;30/03/2026;7\n",
    )
    assert s.fast_paths == {"invoice_date": True, "amount": True, "due_date": True}
    assert staged_rows(con, s) == [
        (2, "F1", dt.date(2026, 1, 31), dt.date(2026, 3, 2), Decimal("1234.56"), None, None),
        (3, "F2", dt.date(2026, 2, 1), dt.date(2026, 3, 3), Decimal("-12.50"), None, None),
        (4, "F3", dt.date(2026, 2, 28), dt.date(2026, 3, 30), Decimal("7.00"), None, None),
    ]


def test_one_odd_value_sends_only_that_value_to_the_general_expression(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Line 3 has '(12,00) €' (a negative in brackets with a currency): -12.00 by the general
    rules, while line 2's '10,00' keeps the fast reading 10.00; the date '2026-02-01' is ISO
    in a dd/mm/yyyy column: both shapes have a fast path but no single one covers the column."""
    s = stage(
        con,
        tmp_path,
        "F1;C1;31/01/2026;02/03/2026;10,00\nF2;C1;2026-02-01;03/03/2026;(12,00) €\n",
    )
    assert s.fast_paths == {"invoice_date": False, "amount": False, "due_date": True}
    rows = staged_rows(con, s)
    assert [r[3:5] for r in rows] == [
        (dt.date(2026, 3, 2), Decimal("10.00")),
        (dt.date(2026, 3, 3), Decimal("-12.00")),
    ]
    assert [r[2] for r in rows] == [dt.date(2026, 1, 31), dt.date(2026, 2, 1)]


def test_an_impossible_date_in_a_fast_column_is_rejected_with_the_general_reason(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    s = stage(con, tmp_path, "F1;C1;31/02/2026;02/03/2026;10,00\nF2;C1;01/02/2026;;5,00\n")
    assert s.fast_paths["invoice_date"] is True
    rows = staged_rows(con, s)
    assert rows[0][5] == "column Date facture: '31/02/2026' is not a real calendar date"
    assert rows[0][6] == "F1 | C1 | 31/02/2026 | 02/03/2026 | 10,00"
    assert rows[1][5] is None and rows[1][6] is None


def test_an_amount_too_large_in_a_fast_column_is_rejected_with_the_general_reason(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """10^17 does not fit DECIMAL(18,2) (16 integer digits): 'too large'; 31 digits do not
    even fit the DECIMAL(38,10) of the general reading: 'not an amount'."""
    big, huge = "1" + "0" * 17, "9" * 31
    s = stage(
        con,
        tmp_path,
        f"F1;C1;01/02/2026;02/03/2026;{big}\nF2;C1;01/02/2026;02/03/2026;{huge}\n",
    )
    assert s.fast_paths["amount"] is True
    assert [r[5] for r in staged_rows(con, s)] == [
        f"column Montant TTC: '{big}' is too large for an amount",
        f"column Montant TTC: '{huge}' is not an amount",
    ]


def test_a_duplicate_invoice_keeps_its_raw_line_for_the_report(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    s = stage(con, tmp_path, "F1;C1;01/02/2026;02/03/2026;1,00\nF1;C2;01/02/2026;;2,00\n")
    quality.reject_duplicates(con, [s])
    assert [(r[0], r[5], r[6]) for r in staged_rows(con, s)] == [
        (2, None, None),
        (3, "duplicate invoice number F1 (first on line 2)", "F1 | C2 | 01/02/2026 |  | 2,00"),
    ]


def test_duplicates_are_told_apart_by_file_order_not_by_file_name(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Two staged files with one name: only the second file's F1 (its line 3) is a duplicate;
    line 3 of the first file (F2) is not, though it has the same name and line number."""
    staged = []
    for i, body in enumerate(
        [
            "F1;C1;01/02/2026;;1,00\nF2;C1;01/02/2026;;2,00\n",
            "F3;C2;01/02/2026;;3,00\nF1;C2;01/02/2026;;4,00\n",
        ]
    ):
        path = tmp_path / str(i) / "factures.csv"
        path.parent.mkdir()
        path.write_text(HEADER + body, encoding="utf-8")
        raw = read_raw(con, sniff(path), f"raw_{i}")
        staged.append(quality.stage_file(con, raw, propose(raw.headers, "invoices"), f"typed_{i}"))
    quality.reject_duplicates(con, staged)
    assert [(r[0], r[5]) for r in staged_rows(con, staged[0])] == [(2, None), (3, None)]
    assert [(r[0], r[5]) for r in staged_rows(con, staged[1])] == [
        (2, None),
        (3, "duplicate invoice number F1 (first on line 2 of factures.csv)"),
    ]


def test_a_blank_amount_in_a_fast_column_is_missing_not_zero(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    s = stage(con, tmp_path, "F1;C1;01/02/2026;02/03/2026;\nF2;C1;01/02/2026;02/03/2026;3,10\n")
    rows = staged_rows(con, s)
    assert rows[0][4] is None
    assert rows[0][5] == "column Montant TTC: missing amount"
    assert rows[1][4] == Decimal("3.10")


def test_no_fast_path_is_chosen_for_a_column_of_padded_values(
    shared: duckdb.DuckDBPyConnection,
) -> None:
    shared.execute(_VALUES, {"i": [0, 1], "v": [" 1,00", "2,00"]})
    paths = {"c0": parse.amount_fast_paths("c0", COMMA)}
    assert parse.choose_fast_paths(shared, "t", paths) == {"c0": None}


def test_the_second_shape_is_chosen_when_only_it_covers_the_column(
    shared: duckdb.DuckDBPyConnection,
) -> None:
    shared.execute(_VALUES, {"i": [0, 1, 2], "v": ["1\u202f234,50", "12", None]})
    paths = {"c0": parse.amount_fast_paths("c0", COMMA)}
    assert parse.choose_fast_paths(shared, "t", paths) == {"c0": 1}


_AMOUNT_ALPHABET = st.sampled_from(list("0123456789,. -()€\u00a0\u202f"))


def _amount_texts() -> st.SearchStrategy[str]:
    plain = st.builds(
        lambda units, cents, sep, neg: (
            ("-" if neg else "")
            + f"{units:,}".replace(",", sep)
            + ("" if cents is None else "," + str(cents))
        ),
        st.integers(0, 10**18),
        st.one_of(st.none(), st.integers(0, 999)),
        st.sampled_from(["", " ", "\u00a0", "\u202f", "."]),
        st.booleans(),
    )
    return st.one_of(plain, st.text(_AMOUNT_ALPHABET, max_size=12))


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(_amount_texts(), min_size=1, max_size=8), mark=st.sampled_from(",."))
def test_amounts_read_by_the_fast_paths_equal_the_general_reading(
    shared: duckdb.DuckDBPyConnection, values: list[str], mark: str
) -> None:
    """Mixed reading (fast shapes fast, the rest general) and, for values of a fast shape,
    the fast expression alone, equal amount_sql; the fast error equals the general one."""
    fmt = AmountFormat(mark)
    paths = parse.amount_fast_paths("c0", fmt)
    general = parse.amount_sql("c0", fmt)
    mixed = parse.with_fast_paths("c0", general, paths, None)
    exprs = [general, mixed, parse.amount_error_sql("c0", fmt)]
    for p in paths:
        exprs += [f"regexp_full_match(c0, '{p.pattern}')", p.expr, p.error]
    for row in readings(shared, values, *exprs):
        assert row[1] == row[0]
        for k in range(len(paths)):
            matched, fast, error = row[3 + 3 * k : 6 + 3 * k]
            if matched:
                assert fast == row[0]
                if fast is None:
                    assert error == row[2]


_DATE_TEXTS = st.builds(
    lambda d, m, y, shape: shape.format(d=d, m=m, y=y),
    st.integers(0, 40),
    st.integers(0, 14),
    st.integers(0, 2100),
    st.sampled_from(
        [
            "{d:02d}/{m:02d}/{y:04d}",
            "{y:04d}-{m:02d}-{d:02d}",
            "{d}/{m}/{y}",
            " {d:02d}/{m:02d}/{y:04d}",
            "{d:02d}.{m:02d}.{y:02d}",
            "{y:04d}{m:02d}{d:02d}",
        ]
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(_DATE_TEXTS, min_size=1, max_size=8),
    order=st.sampled_from(["dmy", "mdy"]),
    iso_first=st.booleans(),
)
def test_dates_read_by_the_fast_paths_equal_the_general_reading(
    shared: duckdb.DuckDBPyConnection, values: list[str], order: str, iso_first: bool
) -> None:
    """In either order of the two shapes (a file of mostly ISO dates tries ISO first)."""
    fmt = DateFormat(order, iso=2 if iso_first else 0, slashed=1)
    paths = parse.date_fast_paths("c0", fmt)
    general = parse.date_sql("c0", fmt)
    mixed = parse.with_fast_paths("c0", general, paths, None)
    exprs = [general, mixed, parse.date_error_sql("c0", fmt)]
    for p in paths:
        exprs += [f"regexp_full_match(c0, '{p.pattern}')", p.expr, p.error]
    for row in readings(shared, values, *exprs):
        assert row[1] == row[0]
        for k in range(len(paths)):
            matched, fast, error = row[3 + 3 * k : 6 + 3 * k]
            if matched:
                assert fast == row[0]
                if fast is None:
                    assert error == row[2]


def test_the_shape_a_file_has_most_is_tried_first(tmp_path: Path) -> None:
    """Dates counted by the detection: 3 ISO and 1 slashed value -> ISO first; the reverse
    (and no count at all) -> dd/mm/yyyy first."""
    iso, slashed = "[0-9]{4}-[0-9]{2}-[0-9]{2}", "[0-9]{2}/[0-9]{2}/[0-9]{4}"
    con = duckdb.connect(str(tmp_path / "order.duckdb"))
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('2026-01-05'), ('2026-02-05'), "
        "('2026-03-05'), ('05/04/2026')) AS v(c0)"
    )
    fmt = parse.detect_date_format(con, "t", ["c0"])
    assert (fmt.iso, fmt.slashed) == (3, 1)
    assert [p.pattern for p in parse.date_fast_paths("c0", fmt)] == [iso, slashed]
    flipped = DateFormat("dmy", iso=1, slashed=3)
    assert [p.pattern for p in parse.date_fast_paths("c0", flipped)] == [slashed, iso]
    assert [p.pattern for p in parse.date_fast_paths("c0", DateFormat())] == [slashed, iso]
    con.close()


# --------------------------------------------------------------------------------------------
# Detection votes (the cheap shapes must vote as the general rules do)


def test_amount_votes_of_the_common_shapes_match_the_general_rules(
    shared: duckdb.DuckDBPyConnection,
) -> None:
    """Comma votes: '12,5', '1 234,56', '1.234,56', 'EUR 12,50' = 4; point votes: '1234.56'
    = 1; '-12,50' (a sign keeps it from the voting shapes), '7' and NULL do not vote."""
    values = ["1234.56", "12,5", "1 234,56", "-12,50", "1.234,56", "EUR 12,50", "7", None]
    shared.execute(_VALUES, {"i": list(range(len(values))), "v": values})
    fmt = parse.detect_amount_format(shared, "t", "c0")
    assert (fmt.decimal_mark, fmt.comma_votes, fmt.point_votes) == (",", 4, 1)


def test_date_votes_of_the_common_shapes_match_the_general_rules(
    shared: duckdb.DuckDBPyConnection,
) -> None:
    """'31/01/2026' and ' 13/01/2026 ' vote day-first, '1/13/2026' month-first; slashed = 4
    with '01/02/2026'; ISO = 1; blank values are not counted: dmy 2 > mdy 1, ambiguous."""
    values = ["31/01/2026", "01/02/2026", "2026-01-31", " 13/01/2026 ", "1/13/2026", "", None]
    shared.execute(_VALUES, {"i": list(range(len(values))), "v": values})
    assert parse.detect_date_format(shared, "t", ["c0"]) == DateFormat("dmy", True, 2, 1, 4, 1)


def test_trimming_removes_every_kind_of_space_but_keeps_inner_ones(
    shared: duckdb.DuckDBPyConnection,
) -> None:
    values = ["\u00a0a b\u202f", "\t\ufeffx", "y\r\n", "", " ", "\u2009", "z", None]
    got = [r[0] for r in readings(shared, values, parse.text_sql("c0"))]
    assert got == ["a b", "x", "y", None, None, None, "z", None]


# --------------------------------------------------------------------------------------------
# Reasons are worked out only where a checked column types to NULL: same reasons as without


def _stage_both_ways(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, path: Path, table: str
) -> tuple[list[tuple], list[tuple]]:
    """The staged rows of ``path`` read as ``table``, with the reason guard on, then off."""
    raw = read_raw(con, sniff(path), "raw_0")
    m = propose(raw.headers, table)
    out = []
    for guard, typed in ((True, "typed_on"), (False, "typed_off")):
        monkeypatch.setattr(quality, "REASON_GUARD", guard)
        con.execute(f"DROP TABLE IF EXISTS {typed}")
        quality.stage_file(con, raw, m, typed)
        out.append(con.execute(f"SELECT * FROM {typed} ORDER BY line_no").fetchall())
    con.execute("DROP TABLE raw_0")
    return out[0], out[1]


_CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\u00a0",
            "\t ",
            '=""',
            '="0012"',
            " C1 ",
            "x",
            "Oui",
            "non",
            "X",
            "31/02/2026",
            "2026-01-05",
            "05/01/2026",
            "5.1.26",
            "45000",
            "1",
            "1 234,56",
            "-12,5",
            "(3,00)",
            "12,345",
            "1.234.567,8",
            "99999999999999999999,99",
            "abc",
            "total",
            "Total général",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("0123456789,.-/ ()€aZ\u00a0")), max_size=10),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(["invoices", "payments"]),
    rows=st.lists(st.lists(_CELLS, min_size=6, max_size=6), min_size=1, max_size=12),
)
def test_the_reason_guard_changes_no_reason_and_no_value(
    tmp_path: Path,
    shared: duckdb.DuckDBPyConnection,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    rows: list[list[str]],
) -> None:
    """Blank, padded, unreadable and valid cells in every column, on invoices (required
    columns) and payments (invoice or customer): the staged rows, their reasons and raw lines
    are identical whether the reasons are guarded or worked out on every row."""
    header = {
        "invoices": "N° facture;Code client;Date facture;Échéance;Montant TTC;Litige",
        "payments": "Date règlement;N° facture;Code client;Montant;Référence;Devise",
    }[table]
    path = tmp_path / "ledger.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\n")
        csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL).writerows(rows)
    guarded, unguarded = _stage_both_ways(shared, monkeypatch, path, table)
    assert guarded == unguarded


_CORPUS = sorted(
    p
    for folder in ("styles", "malformed")
    for p in (Path(__file__).resolve().parent / "data" / folder).iterdir()
    if p.stat().st_size < 1_000_000
)


@pytest.mark.parametrize("path", _CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_reason_guard_changes_nothing_on_the_corpus(
    shared: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    try:
        guarded, unguarded = _stage_both_ways(shared, monkeypatch, path, "invoices")
    except IngestError:
        pytest.skip("not a readable table (the ingest tests cover its message)")
    assert guarded == unguarded
