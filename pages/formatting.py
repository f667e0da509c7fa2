"""Formatting of whole table columns in a language, as ``analytics.i18n`` formats one value.

A page table holds thousands of amounts; formatting each through Babel costs tens of
microseconds. For each (language, currency) this module derives the text Babel writes from the
locale's symbols once (grouping and decimal marks, the text before and after the number for
either sign), checks the result against ``analytics.i18n`` on a set of probe values (signs,
zero and minus zero, ties of the rounding, large amounts) and then formats with Python's own
number formatting; when any probe differs, every value goes through ``analytics.i18n``. Dates
are formatted through ``analytics.i18n`` once per distinct date.

No Streamlit here: the functions take the language and the currency explicitly.

Column kinds (``format_values``): ``money`` (in the table's currency, EUR when none), ``money_eur``, ``date``,
``days``, ``percent`` (a fraction), ``number1`` (one decimal), ``stage``, ``band``, ``status``,
``yes_no``, ``text``, ``raw`` (kept as it is).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from babel.numbers import get_currency_precision, get_decimal_symbol, get_group_symbol

from analytics import credit_views, i18n

KINDS = (
    "money",
    "money_eur",
    "date",
    "days",
    "percent",
    "number1",
    "stage",
    "band",
    "status",
    "yes_no",
    "text",
    "raw",
)

#: Values on which a derived formatter must give exactly the text of ``analytics.i18n``.
PROBES = tuple(
    Decimal(v)
    for v in (
        "0",
        "-0",
        "0.004",
        "-0.004",
        "0.005",
        "0.015",
        "-0.025",
        "0.125",
        "1",
        "-1",
        "12.5",
        "999.995",
        "1000",
        "-1234.5",
        "1234567.891",
        "-98765432.105",
        "1000000000000.01",
    )
)
_LARGE = Decimal("1234567.25")


def _locale(lang: str) -> str:
    return i18n.LOCALES.get(lang, i18n.LOCALES[i18n.DEFAULT_LANG])


def _digits_text(value: Decimal, digits: int, group: str, decimal: str) -> str:
    """``|value|`` rounded half-even to ``digits`` decimals with the locale's marks."""
    text = format(value.copy_abs(), f",.{digits}f")
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def _derived(
    reference: Callable[[Decimal], str], digits: int, lang: str
) -> Callable[[Decimal], str] | None:
    """A formatter of finite Decimals giving the text of ``reference``, or None if the
    locale's text cannot be derived (a probe differs)."""
    locale = _locale(lang)
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    number = _digits_text(_LARGE, digits, group, decimal)
    positive, negative = reference(_LARGE), reference(-_LARGE)
    if positive.count(number) != 1 or negative.count(number) != 1:
        return None
    pos_before, pos_after = positive.split(number)
    neg_before, neg_after = negative.split(number)

    def fast(value: Decimal) -> str:
        body = _digits_text(value, digits, group, decimal)
        if value.is_signed():
            return neg_before + body + neg_after
        return pos_before + body + pos_after

    if all(fast(p) == reference(p) for p in PROBES):
        return fast
    return None


def _with_fallback(
    fast: Callable[[Decimal], str] | None, slow: Callable[[Any], str]
) -> Callable[[Any], str]:
    """``fast`` on finite numbers (converted as ``analytics.i18n`` does, ``Decimal(str(v))``),
    ``slow`` on anything else (None, NaN, text)."""
    if fast is None:
        return slow

    def fmt(value: Any) -> str:
        if value is None or isinstance(value, bool):
            return slow(value)
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return slow(value)
        if not number.is_finite():
            return slow(value)
        return fast(number)

    return fmt


@functools.lru_cache(maxsize=64)
def money_formatter(lang: str, currency: str | None) -> Callable[[Any], str]:
    """``i18n.fmt_money(value, lang, currency)`` for any value."""

    def slow(value: Any) -> str:
        return i18n.fmt_money(value, lang, currency)

    if not currency:
        return slow
    try:
        digits = get_currency_precision(currency)
    except (KeyError, ValueError):
        return slow
    return _with_fallback(_derived(slow, digits, lang), slow)


@functools.lru_cache(maxsize=64)
def number_formatter(lang: str, digits: int) -> Callable[[Any], str]:
    """``i18n.fmt_number(value, lang, digits)`` for any value."""

    def slow(value: Any) -> str:
        return i18n.fmt_number(value, lang, digits)

    return _with_fallback(_derived(slow, digits, lang), slow)


@functools.lru_cache(maxsize=65536)
def format_date(value: date | datetime, lang: str) -> str:
    """``i18n.fmt_date(value, lang)``, computed once per distinct date."""
    return i18n.fmt_date(value, lang)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_float(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def days_text(value: Any, lang: str, digits: int = 1) -> str:
    """``i18n.fmt_days(value, lang, digits)``."""
    if value is None:
        return i18n.na(lang)
    unit = "j" if lang == "fr" else "d"
    return f"{number_formatter(lang, digits)(value)}\u00a0{unit}"


def percent_text(value: Any, lang: str, digits: int = 1) -> str:
    """``i18n.fmt_percent(value, lang, digits)``: a fraction as a percentage."""
    if value is None:
        return i18n.na(lang)
    number = number_formatter(lang, digits)(Decimal(str(value)) * 100)
    return f"{number}\u00a0%" if lang == "fr" else f"{number}%"


def yes_no(value: Any, lang: str) -> str:
    if value is None:
        return ""
    return ("Oui" if value else "Non") if lang == "fr" else ("Yes" if value else "No")


def format_values(values: Iterable[Any], kind: str, lang: str, currency: str | None) -> list[str]:
    """Every value of a column as text of ``kind`` (see the module docstring)."""
    items = list(values)
    if kind == "money":
        fmt = money_formatter(lang, currency or "EUR")
        return [fmt(v) for v in items]
    if kind == "money_eur":
        fmt = money_formatter(lang, "EUR")
        return [fmt(v) for v in items]
    if kind == "date":
        return ["" if _missing(v) else format_date(v, lang) for v in items]
    if kind == "days":
        return [days_text(_as_float(v), lang) for v in items]
    if kind == "percent":
        return [percent_text(_as_float(v), lang) for v in items]
    if kind == "number1":
        fmt = number_formatter(lang, 1)
        return [fmt(None if _missing(v) else v) for v in items]
    if kind == "stage":
        return ["" if _missing(v) or not v else credit_views.t(f"stage_{v}", lang) for v in items]
    if kind == "band":
        return [
            credit_views.t(f"band_{v}", lang) if isinstance(v, str) and v else i18n.na(lang)
            for v in items
        ]
    if kind == "status":
        return [credit_views.t(f"status_{v}", lang) for v in items]
    if kind == "yes_no":
        return [yes_no(v, lang) for v in items]
    if kind == "text":
        return ["" if _missing(v) else str(v) for v in items]
    if kind == "raw":
        return items
    raise ValueError(f"unknown column kind: {kind}")


def column_kind(column: str, values: list[Any], kinds: Mapping[str, str]) -> str:
    """The kind of ``column``: given in ``kinds``, else from its name or its values."""
    if column in kinds:
        return kinds[column]
    if column == "stage":
        return "stage"
    if column == "risk_band":
        return "band"
    if values and all(isinstance(v, bool) or v is None for v in values):
        return "yes_no"
    if column == "status":
        return "status"
    return "text"


def format_frame(
    frame: pd.DataFrame,
    columns: Iterable[str],
    kinds: Mapping[str, str],
    lang: str,
    currency: str | None,
) -> pd.DataFrame:
    """``frame[columns]`` (those present) as text, each column by its kind; same index."""
    out = frame[[c for c in columns if c in frame.columns]].copy()
    for col in out.columns:
        values = list(out[col])
        out[col] = format_values(values, column_kind(col, values, kinds), lang, currency)
    return out


if __name__ == "__main__":
    from pages import common

    common.start_page(None)
