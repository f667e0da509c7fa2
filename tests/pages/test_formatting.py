"""The column formatters of the pages write exactly what ``analytics.i18n`` writes, value by
value, and the derived outputs of a cached result keep its rows' index."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import credit_views, i18n
from pages import formatting
from pages.common import derive

LANGS = ("fr", "en")
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")

amounts = st.decimals(
    min_value=Decimal("-9999999999999.99"),
    max_value=Decimal("9999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
fractions = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(value=amounts, lang=st.sampled_from(LANGS), currency=st.sampled_from(CURRENCIES))
def test_a_formatted_amount_is_the_text_of_fmt_money(value, lang, currency):
    assert formatting.money_formatter(lang, currency)(value) == i18n.fmt_money(
        value, lang, currency
    )


@settings(max_examples=300, deadline=None)
@given(value=fractions, lang=st.sampled_from(LANGS), digits=st.integers(0, 3))
def test_a_formatted_number_is_the_text_of_fmt_number(value, lang, digits):
    assert formatting.number_formatter(lang, digits)(value) == i18n.fmt_number(value, lang, digits)


@settings(max_examples=200, deadline=None)
@given(value=fractions, lang=st.sampled_from(LANGS))
def test_days_and_percentages_are_the_texts_of_fmt_days_and_fmt_percent(value, lang):
    assert formatting.days_text(value, lang) == i18n.fmt_days(value, lang)
    assert formatting.percent_text(value, lang) == i18n.fmt_percent(value, lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "value",
    [
        Decimal("0"),
        Decimal("-0"),
        Decimal("-0.004"),
        Decimal("0.005"),
        Decimal("0.015"),
        Decimal("2.675"),
        Decimal("-1234.5"),
        1234,
        -0.0,
        12.345,
        None,
    ],
)
def test_ties_minus_zero_integers_floats_and_none_are_written_as_i18n_writes_them(lang, value):
    assert formatting.money_formatter(lang, "EUR")(value) == i18n.fmt_money(value, lang, "EUR")
    assert formatting.number_formatter(lang, 1)(value) == i18n.fmt_number(value, lang, 1)


def test_a_french_amount_uses_a_narrow_space_a_decimal_comma_and_the_euro_after():
    """1234567.5 EUR in French: groups of three separated by U+202F, a comma, then a no-break
    space and the sign: 1 234 567,50 €."""
    assert formatting.money_formatter("fr", "EUR")(Decimal("1234567.5")) == (
        "1\u202f234\u202f567,50\u00a0€"
    )
    assert formatting.money_formatter("en", "EUR")(Decimal("-1234567.5")) == "-€1,234,567.50"


def test_nan_goes_through_i18n_unchanged():
    fmt = formatting.number_formatter("fr", 1)
    assert fmt(math.nan) == i18n.fmt_number(math.nan, "fr", 1)


def test_a_locale_text_that_cannot_be_derived_falls_back_to_the_reference():
    """A reference writing negatives in parentheses cannot be derived from the locale's
    symbols: no derived formatter, every value goes through the reference."""

    def accounting(value: Decimal) -> str:
        text = i18n.fmt_number(abs(value), "en", 2)
        return f"({text})" if value < 0 else text

    assert formatting._derived(accounting, 2, "en") is None


def test_each_date_is_formatted_once_and_as_i18n_formats_it():
    formatting.format_date.cache_clear()
    days = [date(2026, 10, 31), date(2026, 10, 31), datetime(2026, 1, 2, 13, 0)]
    texts = formatting.format_values(days, "date", "fr", None)
    assert texts == [i18n.fmt_date(d, "fr") for d in days] == ["31/10/2026"] * 2 + ["02/01/2026"]
    assert formatting.format_date.cache_info().misses == 2


def test_missing_values_are_blank_dates_and_not_available_numbers():
    values = [None, pd.NaT, math.nan]
    assert formatting.format_values(values, "date", "fr", None) == ["", "", ""]
    na = i18n.na("fr")
    assert formatting.format_values([None, math.nan], "days", "fr", None) == [na, na]
    assert formatting.format_values([None], "money", "fr", None) == [na]


def test_the_labelled_kinds_use_the_credit_labels():
    fr = "fr"
    assert formatting.format_values(["call", None], "stage", fr, None) == [
        credit_views.t("stage_call", fr),
        "",
    ]
    assert formatting.format_values(["high", None], "band", fr, None) == [
        credit_views.t("band_high", fr),
        i18n.na(fr),
    ]
    assert formatting.format_values([True, False, None], "yes_no", "en", None) == [
        "Yes",
        "No",
        "",
    ]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown column kind"):
        formatting.format_values([1], "currency", "fr", None)


def test_a_formatted_frame_keeps_the_index_and_guesses_the_kind_of_unnamed_columns():
    """Three rows indexed 10, 20, 30: the amount is money in EUR, the boolean column yes/no,
    the stage a label and the name text; the index is kept for ``.loc`` on sorted rows."""
    frame = pd.DataFrame(
        {
            "customer_name": ["A", None, "C"],
            "open_amount": [Decimal("1.5"), Decimal("-2"), None],
            "disputed": [True, False, None],
            "stage": ["call", "reminder", None],
        },
        index=[10, 20, 30],
    )
    out = formatting.format_frame(
        frame, ["stage", "customer_name", "open_amount", "disputed", "absent"],
        {"open_amount": "money"}, "en", "EUR",
    )  # fmt: skip
    assert list(out.columns) == ["stage", "customer_name", "open_amount", "disputed"]
    assert list(out.index) == [10, 20, 30]
    assert list(out["open_amount"]) == ["€1.50", "-€2.00", i18n.na("en")]
    assert list(out["customer_name"]) == ["A", "", "C"]
    assert list(out["disputed"]) == ["Yes", "No", ""]
    assert out.loc[[30, 10], "stage"].tolist() == ["", credit_views.t("stage_call", "en")]


def test_a_derived_output_filters_heads_selects_and_formats_a_part_of_a_result():
    """The part 'items' of 4 rows; stage in (a, b) keeps rows 0, 1, 3; head 2 keeps 0, 1."""
    items = pd.DataFrame(
        {
            "stage": ["a", "b", "c", "a"],
            "amount": [Decimal("1"), Decimal("2"), Decimal("3"), Decimal("4")],
        }
    )
    result = {"items": items, "threshold": Decimal("5")}
    assert derive(result, {"part": "threshold"}, "fr", "EUR") == Decimal("5")
    spec = {"part": "items", "isin": {"stage": ["a", "b"]}, "head": 2, "columns": ["amount"]}
    raw = derive(result, spec, "fr", "EUR")
    assert list(raw.index) == [0, 1] and list(raw.columns) == ["amount"]
    shown = derive(result, {**spec, "kinds": {"amount": "money"}}, "en", "EUR")
    assert list(shown["amount"]) == ["€1.00", "€2.00"]
    whole = derive(items, {"isin": {"stage": ["a"]}}, "fr", "EUR")
    assert list(whole.index) == [0, 3]
