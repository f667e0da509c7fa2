"""Typed values from text, as DuckDB SQL expressions (set-based, no Python per row).

Every function here returns the text of an SQL expression over one raw text column (``c0``,
``c1``... of a table made by ingest.read_raw). The expressions are plain SQL over DuckDB's
RE2 regular expressions, so that 10 million rows are parsed inside the engine. A value that
cannot be parsed gives NULL; the matching ``*_error_sql`` expression gives the reason as text
(NULL when the value is fine or blank), for the rejected-rows report.

The two format detectors run one aggregate query each over the data and decide per column
(amounts) or per file (dates), so that "03/04/2026" is read the same way in every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: White space inside numbers and around values: ASCII spaces, no-break space (U+00A0),
#: narrow no-break space (U+202F), thin space (U+2009), zero-width no-break space (U+FEFF).
_SPACES = r"\s\x{00A0}\x{202F}\x{2009}\x{FEFF}"
#: The same characters as an SQL string literal (RE2's \s is tab, LF, FF, CR and space).
_SPACE_CHARS = "'\t\n\f\r \u00a0\u202f\u2009\ufeff'"
#: Currency symbols and ISO codes stripped from amounts.
_CURRENCIES = (
    r"(?i)(€|\$|£|¥|₣|EUR|USD|CHF|GBP|CAD|AUD|JPY|CNY|XOF|XAF|XPF|MAD|TND|DZD|SEK|NOK|DKK|"
    r"PLN|CZK|HUF|RON|SFr\.?|Fr\.|Frs?|US)"
)
_NUMBER_SHAPE = r"\(?[+-]?[0-9.,]*[0-9][0-9.,]*-?\)?"

#: Values of the common shapes vote without the costly cleaning: "1234.5" for the point,
#: "1 234,56" (spaces of any kind) for the comma, plain or signed numbers not at all (a sign
#: keeps the cleaned text from the voting shapes, as in the general rules).
_AMOUNT_SHAPES = (
    "CASE WHEN regexp_full_match({c}, '[0-9]+\\.[0-9]{{1,2}}') THEN 'p' "
    "WHEN regexp_full_match({c}, '[0-9]+([ \\x{{00A0}}\\x{{202F}}\\x{{2009}}][0-9]+)*,"
    "[0-9]{{1,2}}') THEN 'c' "
    "WHEN regexp_full_match({c}, '[0-9]+([ \\x{{00A0}}\\x{{202F}}\\x{{2009}}][0-9]+)*"
    "|-[0-9]+([.,][0-9]{{1,2}})?') THEN 'n' ELSE '?' END"
)
_DETECT_AMOUNT = (
    "SELECT count(*) FILTER (WHERE k = 'c' OR (k = '?' AND ("
    "regexp_full_match(v, '[0-9]+,[0-9]{{1,2}}') "
    "OR regexp_full_match(v, '[0-9]{{1,3}}(\\.[0-9]{{3}})+,[0-9]+') "
    "OR regexp_full_match(v, '[0-9]{{1,3}}(\\.[0-9]{{3}}){{2,}}') "
    "OR regexp_full_match(v, '[0-9]*,[0-9]{{4,}}')))) AS comma, "
    "count(*) FILTER (WHERE k = 'p' OR (k = '?' AND ("
    "regexp_full_match(v, '[0-9]+\\.[0-9]{{1,2}}') "
    "OR regexp_full_match(v, '[0-9]{{1,3}}(,[0-9]{{3}})+\\.[0-9]+') "
    "OR regexp_full_match(v, '[0-9]{{1,3}}(,[0-9]{{3}}){{2,}}') "
    "OR regexp_full_match(v, '[0-9]*\\.[0-9]{{4,}}')))) AS point "
    "FROM (SELECT k, CASE WHEN k = '?' THEN {clean} END AS v FROM ("
    "SELECT {col}, {shapes} AS k FROM {table} WHERE {col} IS NOT NULL))"
)
_DETECT_DATE = (
    "SELECT "
    "count(*) FILTER (WHERE (k = 2 AND a > 12 AND b <= 12) OR (k = 0 AND s.a <> '' "
    "AND TRY_CAST(s.a AS INTEGER) > 12 AND TRY_CAST(s.b AS INTEGER) <= 12)) AS dmy, "
    "count(*) FILTER (WHERE (k = 2 AND b > 12 AND a <= 12) OR (k = 0 AND s.a <> '' "
    "AND TRY_CAST(s.b AS INTEGER) > 12 AND TRY_CAST(s.a AS INTEGER) <= 12)) AS mdy, "
    "count(*) FILTER (WHERE k = 2 OR (k = 0 AND s.a <> '')) AS slashed, "
    "count(*) FILTER (WHERE k = 1 OR (k = 0 "
    "AND regexp_matches(t, '^[0-9]{{4}}[-/][0-9]{{1,2}}[-/][0-9]{{1,2}}'))) AS iso "
    "FROM (SELECT k, t, CASE WHEN k = 2 THEN TRY_CAST(r[1:2] AS INTEGER) END AS a, "
    "CASE WHEN k = 2 THEN TRY_CAST(r[4:5] AS INTEGER) END AS b, "
    "CASE WHEN t IS NOT NULL THEN regexp_extract(t, '^([0-9]{{1,2}})[/.-]([0-9]{{1,2}})[/.-]"
    "([0-9]{{2}}|[0-9]{{4}})([ T].*)?$', ['a', 'b', 'y']) END AS s "
    "FROM (SELECT k, r, CASE WHEN k = 0 THEN {trimmed} END AS t "
    "FROM (SELECT r, CASE WHEN regexp_full_match(r, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN 1 "
    "WHEN regexp_full_match(r, '[0-9]{{2}}/[0-9]{{2}}/[0-9]{{4}}') THEN 2 ELSE 0 END AS k "
    "FROM ({union}) WHERE r IS NOT NULL)))"
)
_DATE_UNION_PART = "SELECT {col} AS r FROM {table}"


def _q(col: str) -> str:
    if not _IDENTIFIER.match(col):
        raise ValueError(f"not a plain column or table name: {col!r}")
    return f'"{col}"'


def _trimmed(col: str) -> str:
    """Text with surrounding white space (including no-break spaces) removed; blank -> NULL.

    The regular expression runs only for values whose first or last character is one of the
    spaces (or empty values): most values need no trimming.
    """
    c = _q(col)
    trim = f"regexp_replace({c}, '^[{_SPACES}]+|[{_SPACES}]+$', '', 'g')"
    edge = f"contains({_SPACE_CHARS}, {c}[1]) OR contains({_SPACE_CHARS}, {c}[-1])"
    return f"NULLIF(CASE WHEN {edge} THEN {trim} ELSE {c} END, '')"


def _quoted_value(col: str) -> str:
    """The value as shown in a reason: quoted, at most 40 characters."""
    t = _trimmed(col)
    return f"'''' || CASE WHEN length({t}) > 40 THEN left({t}, 37) || '...' ELSE {t} END || ''''"


# --------------------------------------------------------------------------------------------
# Amounts and numbers


@dataclass(frozen=True)
class AmountFormat:
    """How the numbers of one column are written.

    ``decimal_mark`` is "," (French: 1 234,56) or "."; ``comma_votes``/``point_votes`` count
    the values that only make sense with that mark; ``ambiguous`` when neither or both had
    votes and the file's locale decided.
    """

    decimal_mark: str = ","
    comma_votes: int = 0
    point_votes: int = 0
    ambiguous: bool = False

    def __post_init__(self) -> None:
        if self.decimal_mark not in (",", "."):
            raise ValueError(f"decimal mark must be ',' or '.', not {self.decimal_mark!r}")


def _clean_number(col: str) -> str:
    """Text without spaces, apostrophes, currency and percent signs; U+2212 minus as '-'."""
    spaces = f"regexp_replace({_q(col)}, '[{_SPACES}''’%]', '', 'g')"
    full = f"replace(regexp_replace({spaces}, '{_CURRENCIES}', '', 'g'), '−', '-')"
    return f"CASE WHEN regexp_full_match({_q(col)}, '[0-9.,()+-]*') THEN {_q(col)} ELSE {full} END"


def detect_amount_format(
    con: duckdb.DuckDBPyConnection, table: str, col: str, *, default_mark: str = ","
) -> AmountFormat:
    """Decide the decimal mark of a column with one aggregate query.

    A value votes for the decimal comma when it only makes sense with one ("12,5", "1234,56",
    "1.234,56", "1.250.000", "0,12345"), for the point likewise ("12.5", "1,234.56",
    "1,250,000"). Values such as "1,234", "1.234" or "1234" do not vote. The majority wins; a tie (including no votes) falls back to
    ``default_mark`` (the locale of the file: "," for French exports) and is flagged ambiguous.
    """
    sql = _DETECT_AMOUNT.format(
        clean=_clean_number(col),
        col=_q(col),
        shapes=_AMOUNT_SHAPES.format(c=_q(col)),
        table=_q(table),
    )
    comma, point = con.execute(sql).fetchall()[0]
    comma, point = int(comma or 0), int(point or 0)
    if comma > point:
        mark = ","
    elif point > comma:
        mark = "."
    else:
        mark = default_mark
    return AmountFormat(mark, comma, point, ambiguous=comma == point or min(comma, point) > 0)


def _let(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value`` (computed once per row, keeps the SQL short)."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _normalised_number(s: str, fmt: AmountFormat) -> str:
    """From cleaned text ``s``: the unsigned number as 'digits.digits' text, or NULL."""
    if fmt.decimal_mark == ",":
        grouped, thousands, decimal = r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?", ".", ","
        other_decimal = r"[0-9]*\.[0-9]+"
        other_grouped, other_thousands = r"[0-9]{1,3}(,[0-9]{3})+\.[0-9]+", ","
    else:
        grouped, thousands, decimal = r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", ",", "."
        other_decimal = r"[0-9]*,[0-9]+"
        other_grouped, other_thousands = r"[0-9]{1,3}(\.[0-9]{3})+,[0-9]+", "."
    plain = r"[0-9]*" + ("," if decimal == "," else r"\.") + r"?[0-9]*"
    body = (
        "CASE "
        f"WHEN regexp_full_match(b, '{grouped}') "
        f"THEN replace(replace(b, '{thousands}', ''), ',', '.') "
        f"WHEN regexp_full_match(b, '{plain}') THEN replace(b, ',', '.') "
        f"WHEN regexp_full_match(b, '{other_decimal}') THEN replace(b, ',', '.') "
        f"WHEN regexp_full_match(b, '{other_grouped}') "
        f"THEN replace(replace(b, '{other_thousands}', ''), ',', '.') "
        "END"
    )
    valid = (
        f"regexp_full_match({s}, '{_NUMBER_SHAPE}') AND starts_with({s}, '(') = ends_with({s}, ')')"
    )
    unsigned = f"regexp_replace({s}, '[()+-]', '', 'g')"
    return f"CASE WHEN {valid} THEN {_let(unsigned, 'b', body)} END"


def _parsed(col: str, fmt: AmountFormat, scale: int, sql_type: str, body: str) -> str:
    """Evaluate ``body`` with s (cleaned text), n (normalised number text), w (DECIMAL(38,10)),
    v (the signed value rounded to ``scale``, typed ``sql_type``, or NULL) bound."""
    decimals = "length(regexp_extract(n, '\\.([0-9]*)$', 1))"
    exact = f"({decimals} <= {scale} OR abs(w - round(w, {scale})) < 0.000001)"
    signed = (
        f"CASE WHEN starts_with(s, '(') OR contains(s, '-') THEN -round(w, {scale}) "
        f"ELSE round(w, {scale}) END"
    )
    value = f"CASE WHEN w IS NOT NULL AND {exact} THEN TRY_CAST({signed} AS {sql_type}) END"
    inner = _let(value, "v", body)
    inner = _let("TRY_CAST(n AS DECIMAL(38,10))", "w", inner)
    normalised = f"CASE WHEN {_spaces_as_thousands(col)} THEN {_normalised_number('s', fmt)} END"
    inner = _let(normalised, "n", inner)
    return _let(_clean_number(col), "s", inner)


def _spaces_as_thousands(col: str) -> str:
    """SQL condition: white space between two digits only separates groups of three digits
    before the decimal mark ("1 234 567,89"); "1 2 3,4 5" is no number."""
    c = _q(col)
    grouped = f"^[^0-9]*[0-9]{{1,3}}([{_SPACES}][0-9]{{3}})+([.,][0-9]+)?[^0-9]*$"
    return (
        f"(NOT regexp_matches({c}, '[0-9][{_SPACES}]+[0-9]') OR regexp_matches({c}, '{grouped}'))"
    )


def _decimal_sql(col: str, fmt: AmountFormat, scale: int, sql_type: str) -> str:
    return f"({_parsed(col, fmt, scale, sql_type, 'v')})"


def amount_sql(col: str, fmt: AmountFormat) -> str:
    """SQL expression: text -> DECIMAL(18,2); NULL when blank or unparseable.

    Accepts a decimal comma or point (the other mark is accepted too when it cannot be a
    thousands separator: "12.5" in a decimal-comma column is 12.50); thousands separators
    space, U+00A0, U+202F, apostrophes (' and ’), point or comma in groups of three; currency
    symbols and codes (€ $ £ EUR USD CHF...); negatives as "-12", "(12)" and SAP's "12-".
    More than two decimals give NULL unless the extra digits are binary float noise
    ("1234.5600000001" -> 1234.56).
    """
    return _decimal_sql(col, fmt, 2, "DECIMAL(18,2)")


def amount_error_sql(col: str, fmt: AmountFormat) -> str:
    """SQL expression: why ``amount_sql`` gives NULL for a non-blank value, else NULL."""
    value = _quoted_value(col)
    reason = (
        "CASE WHEN v IS NOT NULL THEN NULL "
        f"WHEN w IS NULL THEN {value} || ' is not an amount' "
        "WHEN length(regexp_extract(n, '\\.([0-9]*)$', 1)) > 2 "
        f"AND abs(w - round(w, 2)) >= 0.000001 THEN {value} || ' has more than 2 decimals' "
        f"ELSE {value} || ' is too large for an amount' END"
    )
    return (
        f"(CASE WHEN {_trimmed(col)} IS NOT NULL "
        f"THEN {_parsed(col, fmt, 2, 'DECIMAL(18,2)', reason)} END)"
    )


def number_sql(col: str, fmt: AmountFormat) -> str:
    """SQL expression: a plain decimal number (rates such as "10,25" or "10.25 %") -> DECIMAL(9,4).

    Same reading rules as amounts; a percent sign is ignored (the number is kept as written:
    "10.25 %" -> 10.25). At most four decimals (beyond: NULL unless float noise).
    """
    return _decimal_sql(col, fmt, 4, "DECIMAL(9,4)")


def number_error_sql(col: str, fmt: AmountFormat) -> str:
    """SQL expression: why ``number_sql`` gives NULL for a non-blank value, else NULL."""
    return (
        f"CASE WHEN {_trimmed(col)} IS NULL OR {number_sql(col, fmt)} IS NOT NULL THEN NULL "
        f"ELSE {_quoted_value(col)} || ' is not a number' END"
    )


# --------------------------------------------------------------------------------------------
# Dates


@dataclass(frozen=True)
class DateFormat:
    """Order of day, month and year for the dates of one file.

    ``order`` is "dmy", "mdy" or "ymd" (the order used for d/m/y-shaped values; ISO values
    are read as ISO whatever the order). ``ambiguous`` when no value settles the order or the
    values disagree; the vote counts are kept for the UI. Excel serial numbers of 1950-2099
    (``SERIAL_FIRST``..``SERIAL_LAST``) are read in every order.
    """

    order: str = "dmy"
    ambiguous: bool = False
    dmy_votes: int = 0
    mdy_votes: int = 0
    slashed: int = 0
    iso: int = 0

    def __post_init__(self) -> None:
        if self.order not in ("dmy", "mdy", "ymd"):
            raise ValueError(f"date order must be dmy, mdy or ymd, not {self.order!r}")


def detect_date_format(con: duckdb.DuckDBPyConnection, table: str, cols: list[str]) -> DateFormat:
    """Decide the date order of a file from the values of all its date columns (one query).

    A first field above 12 settles day-first, a second field above 12 settles month-first.
    No evidence: day-first (French) and ``ambiguous`` when d/m/y-shaped values exist;
    conflicting evidence: the majority (ties day-first), ``ambiguous`` with the counts.
    Only ISO values: "ymd", not ambiguous.
    """
    if not cols:
        return DateFormat()
    union = " UNION ALL ".join(_DATE_UNION_PART.format(col=_q(c), table=_q(table)) for c in cols)
    sql = _DETECT_DATE.format(union=union, trimmed=_trimmed("r"))
    dmy, mdy, slashed, iso = (int(x or 0) for x in con.execute(sql).fetchall()[0])
    if slashed == 0:
        return DateFormat("ymd" if iso else "dmy", False, 0, 0, 0, iso)
    if dmy and not mdy:
        return DateFormat("dmy", False, dmy, mdy, slashed, iso)
    if mdy and not dmy:
        return DateFormat("mdy", False, dmy, mdy, slashed, iso)
    order = "mdy" if mdy > dmy else "dmy"
    return DateFormat(order, True, dmy, mdy, slashed, iso)


_MONTHS = (
    ("jan", 1),
    ("fév", 2),
    ("fev", 2),
    ("feb", 2),
    ("mar", 3),
    ("avr", 4),
    ("apr", 4),
    ("mai", 5),
    ("may", 5),
    ("juin", 6),
    ("jun", 6),
    ("juil", 7),
    ("jul", 7),
    ("aoû", 8),
    ("aou", 8),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("déc", 12),
    ("dec", 12),
)


#: Excel serial numbers read as dates: 18264 (1950-01-01) to 73050 (2099-12-31). A ledger's
#: dates fall there; a bare number outside ("1", "2024", "250") is refused rather than read as
#: a date of 1900 or 1905.
SERIAL_FIRST, SERIAL_LAST = 18264, 73050
SERIAL_YEARS = "1950-2099"


def date_sql(col: str, fmt: DateFormat) -> str:
    """SQL expression: text -> DATE; NULL when blank or not a real date.

    Accepted: ISO 2026-01-31 (also with a time "T00:00:00" or " 00:00:00", and 2026/01/31),
    compact 20260131, d/m/y forms with "/", "." or "-" and 1- or 2-digit day and month (read
    day-first or month-first as ``fmt.order`` says; "ymd" files read them day-first), 2-digit
    years (yy < 70 -> 20yy, else 19yy), month names ("31 Jan 2026", "31-janv.-2026"), and
    Excel serial numbers of dates in 1950-2099 (``SERIAL_FIRST``..``SERIAL_LAST``, digits
    only, optionally ".0": 45291 -> 2023-12-31). Impossible dates (31/02/2026) and other bare
    numbers give NULL.
    """
    iso = (
        r"regexp_extract(t, '^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})"
        r"([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$'"
        ", ['y', 'm', 'd'])"
    )
    dmy = (
        r"regexp_extract(t, '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4}|[0-9]{2})"
        r"([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?$', ['a', 'b', 'y'])"
    )
    named = (
        r"regexp_extract(lower(t), '^([0-9]{1,2})[ .-]+([a-zéû]+)\.?[ .-]+([0-9]{4}|"
        r"[0-9]{2})$', ['d', 'm', 'y'])"
    )
    compact = r"regexp_extract(t, '^([0-9]{4})([0-9]{2})([0-9]{2})$', ['y', 'm', 'd'])"
    serial = r"TRY_CAST(regexp_extract(t, '^([0-9]{1,7})(\.0+)?$', 1) AS INTEGER)"
    day, month = ("b", "a") if fmt.order == "mdy" else ("a", "b")
    month_name = (
        "CASE "
        + " ".join(f"WHEN starts_with(p.m, '{prefix}') THEN {num}" for prefix, num in _MONTHS)
        + " END"
    )
    short_year = (
        "CASE WHEN length(p.y) = 2 THEN CASE WHEN TRY_CAST(p.y AS INTEGER) < 70 "
        "THEN 2000 ELSE 1900 END ELSE 0 END + TRY_CAST(p.y AS INTEGER)"
    )

    def make(y: str, m: str, d: str) -> str:
        return f"try(make_date({y}, TRY_CAST({m} AS INTEGER), TRY_CAST({d} AS INTEGER)))"

    def branch(extract: str, result: str, otherwise: str) -> str:
        return _let(extract, "p", f"CASE WHEN p.y <> '' THEN {result} ELSE {otherwise} END")

    serial_date = (
        f"CASE WHEN k BETWEEN {SERIAL_FIRST} AND {SERIAL_LAST} "
        "THEN CAST(DATE '1899-12-30' + k AS DATE) END"
    )
    from_serial = _let(serial, "k", serial_date)
    named_branch = branch(named, make(short_year, month_name, "p.d"), "NULL::DATE")
    compact_branch = branch(compact, make("TRY_CAST(p.y AS INTEGER)", "p.m", "p.d"), named_branch)
    serial_branch = f"coalesce({from_serial}, {compact_branch})"
    dmy_branch = branch(dmy, make(short_year, f"p.{month}", f"p.{day}"), serial_branch)
    body = branch(iso, make("TRY_CAST(p.y AS INTEGER)", "p.m", "p.d"), dmy_branch)
    return f"({_let(_trimmed(col), 't', f'CASE WHEN t IS NULL THEN NULL::DATE ELSE {body} END')})"


def date_error_sql(col: str, fmt: DateFormat) -> str:
    """SQL expression: why ``date_sql`` gives NULL for a non-blank value, else NULL."""
    t = _trimmed(col)
    value = _quoted_value(col)
    return (
        f"CASE WHEN {t} IS NULL OR {date_sql(col, fmt)} IS NOT NULL THEN NULL "
        f"WHEN regexp_full_match({t}, '[0-9]{{1,4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,4}}.*') "
        f"THEN {value} || ' is not a real calendar date' "
        f"WHEN regexp_full_match({t}, '[0-9]{{1,7}}(\\.0+)?') "
        f"THEN {value} || ' is not a date (as an Excel serial number it falls outside "
        f"{SERIAL_YEARS})' "
        f"ELSE {value} || ' is not a date' END"
    )


# --------------------------------------------------------------------------------------------
# Booleans, identifiers, text

_TRUE = ("oui", "o", "yes", "y", "true", "vrai", "v", "t", "1", "x", "on")
_FALSE = ("non", "n", "no", "false", "faux", "f", "0", "off", "-")


def bool_sql(col: str) -> str:
    """SQL expression: Oui/Non, O/N, Yes/No, Y/N, True/False, Vrai/Faux, 1/0, X -> BOOLEAN.

    Case-insensitive; blank -> NULL (the caller applies the column default, e.g. FALSE for an
    "X or blank" flag column); unknown text -> NULL with a reason from ``bool_error_sql``.
    """
    words = [(w, "TRUE") for w in _TRUE] + [(w, "FALSE") for w in _FALSE]
    whens = " ".join(f"WHEN '{w}' THEN {v}" for w, v in words)
    return f"(CASE lower({_trimmed(col)}) {whens} END)"


def bool_error_sql(col: str) -> str:
    """SQL expression: why ``bool_sql`` gives NULL for a non-blank value, else NULL."""
    return (
        f"CASE WHEN {_trimmed(col)} IS NULL OR {bool_sql(col)} IS NOT NULL THEN NULL "
        f"ELSE {_quoted_value(col)} || ' is not yes/no (expected Oui/Non, Yes/No, 1/0, X)' "
        "END"
    )


def id_sql(col: str) -> str:
    """SQL expression: an identifier as trimmed text, leading zeros kept.

    Excel's text-forcing ``="00123"`` is unwrapped to 00123; blank -> NULL.
    """
    t = _trimmed(col)
    unwrap = f"regexp_replace({t}, '^=\"(.*)\"$', '\\1')"
    return f"NULLIF(CASE WHEN starts_with({t}, '=\"') THEN {unwrap} ELSE {t} END, '')"


def text_sql(col: str) -> str:
    """SQL expression: trimmed text (no-break spaces included), blank -> NULL."""
    return _trimmed(col)


# --------------------------------------------------------------------------------------------
# Fast paths: cheap readings for the common shapes, decided once per column


@dataclass(frozen=True)
class FastPath:
    """A cheap reading of the values of one simple shape.

    ``pattern`` is an RE2 pattern matched against the whole raw text; ``expr`` is an SQL
    expression over the raw column that gives, for every value of that shape, exactly what the
    general expression gives (a value, or NULL for an impossible date or an overflow);
    ``error`` is the reason the general error expression gives for such a value when ``expr``
    is NULL.
    """

    pattern: str
    expr: str
    error: str


def date_fast_paths(col: str, fmt: DateFormat) -> list[FastPath]:
    """Fast readings of dates: dd/mm/yyyy (mm/dd/yyyy in "mdy" files) and yyyy-mm-dd, the
    shape the file has most first (its values were counted by :func:`detect_date_format`), so
    that :func:`choose_fast_paths` usually settles a column in one scan.

    Both shapes are read by the general expression as the same calendar date, and a value of
    either shape that is no real date is reported "is not a real calendar date". No value has
    both shapes, so their order changes no reading.
    """
    slashed = "%m/%d/%Y" if fmt.order == "mdy" else "%d/%m/%Y"
    c = _q(col)
    error = f"{_quoted_value(col)} || ' is not a real calendar date'"
    paths = [
        FastPath(
            "[0-9]{2}/[0-9]{2}/[0-9]{4}", f"CAST(try_strptime({c}, '{slashed}') AS DATE)", error
        ),
        FastPath("[0-9]{4}-[0-9]{2}-[0-9]{2}", f"TRY_CAST({c} AS DATE)", error),
    ]
    return paths[::-1] if fmt.iso > fmt.slashed else paths


def _decimal_fast_paths(
    col: str, fmt: AmountFormat, scale: int, sql_type: str, what: str
) -> list[FastPath]:
    c = _q(col)
    value = _quoted_value(col)
    if fmt.decimal_mark == ",":
        spaces = "chr(32) || chr(160) || chr(8239) || chr(8201)"
        texts = [f"replace({c}, ',', '.')", f"replace(translate({c}, {spaces}, ''), ',', '.')"]
        patterns = [
            f"-?[0-9]+(,[0-9]{{1,{scale}}})?",
            f"-?[0-9]{{1,3}}([ \\x{{00A0}}\\x{{202F}}\\x{{2009}}][0-9]{{3}})*"
            f"(,[0-9]{{1,{scale}}})?",
        ]
    else:
        texts = [c, f"replace({c}, ',', '')"]
        patterns = [
            f"-?[0-9]+(\\.[0-9]{{1,{scale}}})?",
            f"-?[0-9]{{1,3}}(,[0-9]{{3}})+(\\.[0-9]{{1,{scale}}})?",
        ]
    paths = []
    for text, pattern in zip(texts, patterns, strict=True):
        if what == "amount":
            error = (
                f"CASE WHEN TRY_CAST({text} AS DECIMAL(38,10)) IS NULL "
                f"THEN {value} || ' is not an amount' "
                f"ELSE {value} || ' is too large for an amount' END"
            )
        else:
            error = f"{value} || ' is not a number'"
        paths.append(FastPath(pattern, f"TRY_CAST({text} AS {sql_type})", error))
    return paths


def amount_fast_paths(col: str, fmt: AmountFormat) -> list[FastPath]:
    """Fast readings of amounts: signed numbers with at most 2 decimals in the column's
    decimal mark; then the same with space (decimal comma) or comma (decimal point) thousands
    separators."""
    return _decimal_fast_paths(col, fmt, 2, "DECIMAL(18,2)", "amount")


def number_fast_paths(col: str, fmt: AmountFormat) -> list[FastPath]:
    """Fast readings of numbers (rates): as ``amount_fast_paths`` with at most 4 decimals."""
    return _decimal_fast_paths(col, fmt, 4, "DECIMAL(9,4)", "number")


_COVERED = "bool_and({c} IS NULL OR {c} = '' OR regexp_full_match({c}, '{pattern}'))"


def choose_fast_paths(
    con: duckdb.DuckDBPyConnection, table: str, candidates: dict[str, list[FastPath]]
) -> dict[str, int | None]:
    """For each column, the index of the first fast path whose shape every non-empty value has.

    One aggregate query over ``table`` per candidate rank (the first shapes of all the
    columns together; the second shapes only of the columns the first did not cover); None
    when no single shape covers the column (it is then read by ``with_fast_paths(...,
    only=None)``).
    """
    chosen: dict[str, int | None] = {col: None for col in candidates}
    pending = [col for col, paths in candidates.items() if paths]
    rank = 0
    while pending:
        sql = (
            "SELECT "
            + ", ".join(
                _COVERED.format(c=_q(col), pattern=candidates[col][rank].pattern) for col in pending
            )
            + " FROM "
            + _q(table)
        )
        row = con.execute(sql).fetchone() or ()
        for col, covered in zip(pending, row, strict=True):
            if covered or covered is None:
                chosen[col] = rank
        rank += 1
        pending = [c for c in pending if chosen[c] is None and len(candidates[c]) > rank]
    return chosen


def with_fast_paths(col: str, general: str, paths: list[FastPath], only: int | None) -> str:
    """The reading of a column: the one fast path ``only`` covering every value, else each
    value of a fast shape read the fast way and only the others by the ``general`` expression
    (a CASE evaluates its ELSE branch for the remaining rows only)."""
    if only is not None:
        return f"({paths[only].expr})"
    whens = " ".join(
        f"WHEN regexp_full_match({_q(col)}, '{p.pattern}') THEN {p.expr}" for p in paths
    )
    return f"(CASE {whens} ELSE {general} END)"
