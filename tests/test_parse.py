"""Tests of analytics.parse: text -> typed values as DuckDB SQL expressions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.parse import (
    AmountFormat,
    DateFormat,
    amount_error_sql,
    amount_sql,
    bool_error_sql,
    bool_sql,
    date_error_sql,
    date_sql,
    detect_amount_format,
    detect_date_format,
    id_sql,
    number_error_sql,
    number_sql,
    text_sql,
)

COMMA = AmountFormat(",")
POINT = AmountFormat(".")
DMY = DateFormat("dmy")
MDY = DateFormat("mdy")


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path: Path = tmp_path_factory.mktemp("parse") / "parse.duckdb"
    connection = duckdb.connect(str(path))
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, *columns: list[str | None], table: str = "t") -> None:
    """Create ``table`` with text columns c0, c1... holding the given values row by row."""
    names = [f"c{j}" for j in range(len(columns))]
    unnested = ", ".join(f"unnest(${n}::VARCHAR[]) AS {n}" for n in names)
    params = dict(zip(names, columns, strict=True))
    params["i"] = list(range(len(columns[0])))
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT unnest($i::INTEGER[]) AS i, {unnested}", params
    )


def evaluate(con: duckdb.DuckDBPyConnection, values: list[str | None], expr: str) -> list:
    """The value of an SQL expression over column c0 for each text value, in order."""
    load(con, values)
    return [r[0] for r in con.execute(f"SELECT {expr} FROM t ORDER BY i").fetchall()]


def one(con: duckdb.DuckDBPyConnection, value: str | None, make: Callable[[str], str]):
    return evaluate(con, [value], make("c0"))[0]


# --------------------------------------------------------------------------------------------
# Amounts

AMOUNTS = [
    # (text, decimal mark of the column, expected)
    ("1234,56", ",", "1234.56"),
    ("1 234,56", ",", "1234.56"),
    ("1\u00a0234,56", ",", "1234.56"),
    ("1\u202f234,56", ",", "1234.56"),
    ("1.234,56", ",", "1234.56"),
    ("1.250.000,00", ",", "1250000.00"),
    ("12,5", ",", "12.50"),
    ("0,99", ",", "0.99"),
    (",5", ",", "0.50"),
    ("1234.56", ".", "1234.56"),
    ("1,234.56", ".", "1234.56"),
    ("1,250,000.00", ".", "1250000.00"),
    ("1'234.56", ".", "1234.56"),
    ("1’234.56", ".", "1234.56"),
    ("1'234,56", ",", "1234.56"),
    ("€ 1 234,56", ",", "1234.56"),
    ("1 234,56 €", ",", "1234.56"),
    ("1 234,56 EUR", ",", "1234.56"),
    ("$1,234.56", ".", "1234.56"),
    ("-$250.00", ".", "-250.00"),
    ("£12.00", ".", "12.00"),
    ("CHF 1'000.00", ".", "1000.00"),
    ("USD 12.00", ".", "12.00"),
    ("(1 234,56)", ",", "-1234.56"),
    ("(250.00)", ".", "-250.00"),
    ("1234,56-", ",", "-1234.56"),
    ("1.234,56-", ",", "-1234.56"),
    ("-12", ",", "-12.00"),
    ("+12", ",", "12.00"),
    ("- 5", ",", "-5.00"),
    ("\u22125,00", ",", "-5.00"),
    ("  42  ", ".", "42.00"),
    ("12.5", ",", "12.50"),
    ("12,5", ".", "12.50"),
    ("1.234,56", ".", "1234.56"),
    ("1,234.56", ",", "1234.56"),
    ("1234.5600000001", ".", "1234.56"),
    ("1234.5599999999", ".", "1234.56"),
    ("12.3400", ".", "12.34"),
    ("0", ".", "0.00"),
]


@pytest.mark.parametrize(
    ("text", "mark", "expected"), AMOUNTS, ids=[f"{a[0]!r}-with-{a[1]!r}" for a in AMOUNTS]
)
def test_an_amount_written_in_any_export_style_is_read_to_the_cent(
    con: duckdb.DuckDBPyConnection, text: str, mark: str, expected: str
) -> None:
    assert one(con, text, lambda c: amount_sql(c, AmountFormat(mark))) == Decimal(expected)


UNPARSEABLE = [
    ("abc", ",", "'abc' is not an amount"),
    ("mille euros", ",", "'mille euros' is not an amount"),
    ("12,345", ",", "'12,345' has more than 2 decimals"),
    ("12.345", ".", "'12.345' has more than 2 decimals"),
    ("(12", ",", "'(12' is not an amount"),
    ("1.2.3", ".", "'1.2.3' is not an amount"),
    ("12 - 5", ",", "'12 - 5' is not an amount"),
    ("99999999999999999999", ".", "'99999999999999999999' is too large for an amount"),
    ("1,23,4", ".", "'1,23,4' is not an amount"),
]


@pytest.mark.parametrize(("text", "mark", "reason"), UNPARSEABLE, ids=[u[0] for u in UNPARSEABLE])
def test_an_unparseable_amount_is_null_with_a_reason(
    con: duckdb.DuckDBPyConnection, text: str, mark: str, reason: str
) -> None:
    fmt = AmountFormat(mark)
    load(con, [text])
    value, why = con.execute(
        f"SELECT {amount_sql('c0', fmt)}, {amount_error_sql('c0', fmt)} FROM t"
    ).fetchall()[0]
    assert value is None
    assert why == reason


@pytest.mark.parametrize("text", ["", "   ", "\u00a0", None])
def test_a_blank_amount_is_null_without_a_reason(
    con: duckdb.DuckDBPyConnection, text: str | None
) -> None:
    load(con, [text])
    row = con.execute(
        f"SELECT {amount_sql('c0', COMMA)}, {amount_error_sql('c0', COMMA)} FROM t"
    ).fetchall()[0]
    assert row == (None, None)


def test_a_long_unparseable_value_is_shortened_in_the_reason(
    con: duckdb.DuckDBPyConnection,
) -> None:
    why = one(con, "x" * 100, lambda c: amount_error_sql(c, COMMA))
    assert why == "'" + "x" * 37 + "...' is not an amount"


def test_the_amount_expression_returns_a_decimal_18_2(con: duckdb.DuckDBPyConnection) -> None:
    load(con, ["1,5"])
    kind = con.execute(f"SELECT typeof({amount_sql('c0', COMMA)}) FROM t").fetchall()[0][0]
    assert kind == "DECIMAL(18,2)"


def test_a_french_column_is_detected_as_decimal_comma(con: duckdb.DuckDBPyConnection) -> None:
    """Votes: '1 234,56' and '12,5' and '0,99' -> comma (3); '1,234' votes for nothing."""
    load(con, ["1 234,56", "12,5", "1,234", "0,99", None])
    fmt = detect_amount_format(con, "t", "c0", default_mark=".")
    assert (fmt.decimal_mark, fmt.comma_votes, fmt.point_votes, fmt.ambiguous) == (",", 3, 0, False)


def test_a_us_column_is_detected_as_decimal_point(con: duckdb.DuckDBPyConnection) -> None:
    """Votes: '1,234.56', '$12.50', '1,250,000' -> point (3); '100' votes for nothing."""
    load(con, ["1,234.56", "$12.50", "100", "1,250,000"])
    fmt = detect_amount_format(con, "t", "c0")
    assert (fmt.decimal_mark, fmt.comma_votes, fmt.point_votes) == (".", 0, 3)


@pytest.mark.parametrize("default", [",", "."])
def test_a_column_without_evidence_follows_the_locale_of_the_file(
    con: duckdb.DuckDBPyConnection, default: str
) -> None:
    load(con, ["100", "1,234", "2500"])
    fmt = detect_amount_format(con, "t", "c0", default_mark=default)
    assert fmt.decimal_mark == default
    assert fmt.ambiguous


def test_a_decimal_mark_other_than_comma_or_point_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal mark"):
        AmountFormat(";")


def test_a_column_name_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="not a plain column"):
        amount_sql('c0"; DROP TABLE t; --', COMMA)


NUMBERS = [
    ("10,25", ",", "10.25"),
    ("10.25 %", ".", "10.25"),
    ("10,25%", ",", "10.25"),
    ("3", ".", "3"),
    ("0,1234", ",", "0.1234"),
]


@pytest.mark.parametrize(("text", "mark", "expected"), NUMBERS, ids=[n[0] for n in NUMBERS])
def test_a_rate_is_read_as_a_plain_number(
    con: duckdb.DuckDBPyConnection, text: str, mark: str, expected: str
) -> None:
    assert one(con, text, lambda c: number_sql(c, AmountFormat(mark))) == Decimal(expected)


def test_a_rate_in_words_is_null_with_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "dix", lambda c: number_error_sql(c, COMMA)) == "'dix' is not a number"


# --------------------------------------------------------------------------------------------
# Property: any Decimal formatted in an export style parses back to itself.


def _group(whole: int, sep: str) -> str:
    return f"{whole:,}".replace(",", sep)


def fmt_french(x: Decimal) -> str:
    whole, frac = f"{abs(x):.2f}".split(".")
    return ("-" if x < 0 else "") + _group(int(whole), "\u00a0") + "," + frac


def fmt_french_narrow(x: Decimal) -> str:
    return fmt_french(x).replace("\u00a0", "\u202f") + " €"


def fmt_sap(x: Decimal) -> str:
    whole, frac = f"{abs(x):.2f}".split(".")
    return _group(int(whole), ".") + "," + frac + ("-" if x < 0 else "")


def fmt_us(x: Decimal) -> str:
    return ("-" if x < 0 else "") + "$" + f"{abs(x):,.2f}"


def fmt_parens(x: Decimal) -> str:
    return f"({abs(x):,.2f})" if x < 0 else f"{x:,.2f}"


def fmt_swiss(x: Decimal) -> str:
    return ("-" if x < 0 else "") + "CHF " + f"{abs(x):,.2f}".replace(",", "'")


def fmt_plain(x: Decimal) -> str:
    return f"{x:.2f}"


STYLES = [
    (fmt_french, ","),
    (fmt_french_narrow, ","),
    (fmt_sap, ","),
    (fmt_us, "."),
    (fmt_parens, "."),
    (fmt_swiss, "."),
    (fmt_plain, "."),
]
money = st.decimals(
    min_value=Decimal("-9999999999.99"),
    max_value=Decimal("9999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(money, min_size=1, max_size=20))
def test_any_amount_formatted_in_each_style_parses_back_to_the_cent(
    con: duckdb.DuckDBPyConnection, values: list[Decimal]
) -> None:
    texts: list[str | None] = []
    marks: list[str] = []
    for v in values:
        for style, mark in STYLES:
            texts.append(style(v))
            marks.append(mark)
    load(con, texts)
    got_comma = [
        r[0] for r in con.execute(f"SELECT {amount_sql('c0', COMMA)} FROM t ORDER BY i").fetchall()
    ]
    got_point = [
        r[0] for r in con.execute(f"SELECT {amount_sql('c0', POINT)} FROM t ORDER BY i").fetchall()
    ]
    expected = [v for v in values for _ in STYLES]
    got = [c if m == "," else p for c, p, m in zip(got_comma, got_point, marks, strict=True)]
    assert got == expected


# --------------------------------------------------------------------------------------------
# Dates

DATES = [
    ("2026-01-31", DMY, dt.date(2026, 1, 31)),
    ("2026-01-31T00:00:00", DMY, dt.date(2026, 1, 31)),
    ("2026-01-31 00:00:00", DMY, dt.date(2026, 1, 31)),
    ("2026-01-31T13:45:00+01:00", MDY, dt.date(2026, 1, 31)),
    ("2026/01/31", DMY, dt.date(2026, 1, 31)),
    ("2026-1-5", DMY, dt.date(2026, 1, 5)),
    ("31/01/2026", DMY, dt.date(2026, 1, 31)),
    ("5/1/2026", DMY, dt.date(2026, 1, 5)),
    ("05/01/2026", DMY, dt.date(2026, 1, 5)),
    ("05/01/2026", MDY, dt.date(2026, 5, 1)),
    ("12/31/2026", MDY, dt.date(2026, 12, 31)),
    ("31.01.2026", DMY, dt.date(2026, 1, 31)),
    ("31-01-2026", DMY, dt.date(2026, 1, 31)),
    ("31/01/26", DMY, dt.date(2026, 1, 31)),
    ("31/01/69", DMY, dt.date(2069, 1, 31)),
    ("31/01/70", DMY, dt.date(1970, 1, 31)),
    ("31/01/2026 00:00", DMY, dt.date(2026, 1, 31)),
    ("45291", DMY, dt.date(2023, 12, 31)),
    ("45291.0", MDY, dt.date(2023, 12, 31)),
    # 18264 = 1950-01-01 - 1899-12-30 in days, 73050 = 2099-12-31 - 1899-12-30: the range.
    ("18264", DMY, dt.date(1950, 1, 1)),
    ("73050", DMY, dt.date(2099, 12, 31)),
    ("20260131", DMY, dt.date(2026, 1, 31)),
    ("31 Jan 2026", DMY, dt.date(2026, 1, 31)),
    ("5 janv. 2026", DMY, dt.date(2026, 1, 5)),
    ("3-févr.-2026", DMY, dt.date(2026, 2, 3)),
    ("15 août 2026", DMY, dt.date(2026, 8, 15)),
    ("29/02/2024", DMY, dt.date(2024, 2, 29)),
    (" 31/01/2026\u00a0", DMY, dt.date(2026, 1, 31)),
]


@pytest.mark.parametrize(
    ("text", "fmt", "expected"), DATES, ids=[f"{d[0]!r}-{d[1].order}" for d in DATES]
)
def test_a_date_written_in_any_export_style_is_read(
    con: duckdb.DuckDBPyConnection, text: str, fmt: DateFormat, expected: dt.date
) -> None:
    assert one(con, text, lambda c: date_sql(c, fmt)) == expected


BAD_DATES = [
    ("31/02/2026", "'31/02/2026' is not a real calendar date"),
    ("29/02/2025", "'29/02/2025' is not a real calendar date"),
    ("2026-13-01", "'2026-13-01' is not a real calendar date"),
    ("45/01/2026", "'45/01/2026' is not a real calendar date"),
    ("0", "'0' is not a date (as an Excel serial number it falls outside 1950-2099)"),
    # A bare "1" or a year alone would be 1899-12-31 or 1905-07-16 as serial numbers.
    ("1", "'1' is not a date (as an Excel serial number it falls outside 1950-2099)"),
    ("2024", "'2024' is not a date (as an Excel serial number it falls outside 1950-2099)"),
    ("18263", "'18263' is not a date (as an Excel serial number it falls outside 1950-2099)"),
    ("73051", "'73051' is not a date (as an Excel serial number it falls outside 1950-2099)"),
    ("2958465", "'2958465' is not a date (as an Excel serial number it falls outside 1950-2099)"),
    ("45291.5", "'45291.5' is not a date"),
    ("demain", "'demain' is not a date"),
    ("31 Foo 2026", "'31 Foo 2026' is not a date"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_DATES, ids=[b[0] for b in BAD_DATES])
def test_an_impossible_or_unknown_date_is_null_with_a_reason(
    con: duckdb.DuckDBPyConnection, text: str, reason: str
) -> None:
    load(con, [text])
    value, why = con.execute(
        f"SELECT {date_sql('c0', DMY)}, {date_error_sql('c0', DMY)} FROM t"
    ).fetchall()[0]
    assert value is None
    assert why == reason


def test_a_blank_date_is_null_without_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    load(con, ["", " ", None])
    rows = con.execute(f"SELECT {date_sql('c0', DMY)}, {date_error_sql('c0', DMY)} FROM t")
    assert rows.fetchall() == [(None, None)] * 3


def test_a_day_above_12_in_first_place_settles_day_first(con: duckdb.DuckDBPyConnection) -> None:
    """c0: '31/01/2026' votes day-first; c1: '05/01/2026' votes for nothing."""
    load(con, ["31/01/2026", "02/03/2026"], ["05/01/2026", None])
    fmt = detect_date_format(con, "t", ["c0", "c1"])
    assert (fmt.order, fmt.ambiguous, fmt.dmy_votes, fmt.mdy_votes) == ("dmy", False, 1, 0)


def test_evidence_in_any_date_column_decides_for_the_whole_file(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """c0 alone is ambiguous ('01/02/2026'); c1 has '01/31/2026': month-first for the file."""
    load(con, ["01/02/2026", "03/04/2026"], ["01/31/2026", "02/01/2026"])
    fmt = detect_date_format(con, "t", ["c0", "c1"])
    assert (fmt.order, fmt.ambiguous, fmt.mdy_votes) == ("mdy", False, 1)


def test_dates_that_never_settle_the_order_default_to_day_first_and_are_ambiguous(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load(con, ["01/02/2026", "03/04/2026", "12/12/2026"])
    fmt = detect_date_format(con, "t", ["c0"])
    assert (fmt.order, fmt.ambiguous, fmt.slashed) == ("dmy", True, 3)


def test_conflicting_dates_are_ambiguous_with_the_counts(con: duckdb.DuckDBPyConnection) -> None:
    """'31/01/2026' and '25/12/2026' vote day-first (2); '01/31/2026' votes month-first (1)."""
    load(con, ["31/01/2026", "25/12/2026", "01/31/2026"])
    fmt = detect_date_format(con, "t", ["c0"])
    assert (fmt.order, fmt.ambiguous, fmt.dmy_votes, fmt.mdy_votes) == ("dmy", True, 2, 1)


def test_iso_dates_only_are_read_as_year_first_without_ambiguity(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load(con, ["2026-01-05", "2026-02-03 00:00:00", None])
    fmt = detect_date_format(con, "t", ["c0"])
    assert (fmt.order, fmt.ambiguous, fmt.iso) == ("ymd", False, 2)


def test_a_file_without_date_columns_gets_the_french_default(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert detect_date_format(con, "t", []) == DateFormat("dmy")


def test_an_unknown_date_order_is_refused() -> None:
    with pytest.raises(ValueError, match="date order"):
        DateFormat("ydm")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(
        st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2069, 12, 31)),
        min_size=1,
        max_size=20,
    )
)
def test_any_date_written_day_first_or_as_iso_or_serial_reads_back(
    con: duckdb.DuckDBPyConnection, days: list[dt.date]
) -> None:
    texts: list[str | None] = []
    for d in days:
        texts += [
            d.isoformat(),
            f"{d:%d/%m/%Y}",
            f"{d.day}/{d.month}/{d:%y}",
            f"{d:%d.%m.%Y}",
            str((d - dt.date(1899, 12, 30)).days),
            f"{d.day} {d:%b %Y}",
        ]
    got = evaluate(con, texts, date_sql("c0", DMY))
    assert got == [d for d in days for _ in range(6)]


# --------------------------------------------------------------------------------------------
# Booleans, identifiers, text

BOOLS = [
    ("Oui", True),
    ("NON", False),
    ("o", True),
    ("N", False),
    ("Yes", True),
    ("no", False),
    ("Y", True),
    ("n", False),
    ("True", True),
    ("FALSE", False),
    ("Vrai", True),
    ("faux", False),
    ("1", True),
    ("0", False),
    ("X", True),
    ("x", True),
    (" oui ", True),
]


@pytest.mark.parametrize(("text", "expected"), BOOLS, ids=[b[0] for b in BOOLS])
def test_a_yes_no_flag_is_read_in_french_or_english(
    con: duckdb.DuckDBPyConnection, text: str, expected: bool
) -> None:
    assert one(con, text, bool_sql) is expected


def test_a_blank_flag_is_null_so_the_caller_applies_the_default(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load(con, ["", None, "  "])
    rows = con.execute(f"SELECT {bool_sql('c0')}, {bool_error_sql('c0')} FROM t").fetchall()
    assert rows == [(None, None)] * 3


def test_an_unknown_flag_is_null_with_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    load(con, ["peut-être"])
    value, why = con.execute(f"SELECT {bool_sql('c0')}, {bool_error_sql('c0')} FROM t").fetchall()[
        0
    ]
    assert value is None
    assert why.startswith("'peut-être' is not yes/no")


IDS = [
    ("00123", "00123"),
    (" 00123 ", "00123"),
    ('="00123"', "00123"),
    ("C001", "C001"),
    ("FA-2026-0001", "FA-2026-0001"),
    ("", None),
    ("   ", None),
    ('=""', None),
]


@pytest.mark.parametrize(("text", "expected"), IDS, ids=[i[0] or "blank" for i in IDS])
def test_an_identifier_keeps_its_leading_zeros_and_loses_excel_wrapping(
    con: duckdb.DuckDBPyConnection, text: str, expected: str | None
) -> None:
    assert one(con, text, id_sql) == expected


def test_text_is_trimmed_including_no_break_spaces_and_blank_is_null(
    con: duckdb.DuckDBPyConnection,
) -> None:
    got = evaluate(con, ["  Café de l'Été\u00a0", "", "\u202f", None, "a  b"], text_sql("c0"))
    assert got == ["Café de l'Été", None, None, None, "a  b"]
