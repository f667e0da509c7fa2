"""Labels and number / date formats in French and English (analytics/i18n.py)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import i18n

ROOT = Path(__file__).resolve().parents[1]


def plain(text: str) -> str:
    """Babel's no-break and narrow no-break spaces as ordinary spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_french_money_has_a_space_as_thousands_separator_and_a_decimal_comma():
    assert plain(i18n.fmt_money(Decimal("1234.56"), "fr", "EUR")) == "1 234,56 €"


def test_english_money_has_a_comma_as_thousands_separator_and_a_decimal_point():
    assert i18n.fmt_money(Decimal("1234.56"), "en", "EUR") == "€1,234.56"


def test_money_without_cents_is_rounded_to_the_unit():
    assert plain(i18n.fmt_money(Decimal("21232218.66"), "fr", "EUR", digits=0)) == "21 232 219 €"


def test_french_dates_read_day_month_year_with_slashes():
    assert i18n.fmt_date(date(2026, 10, 31), "fr") == "31/10/2026"
    assert i18n.fmt_date(date(2026, 10, 31), "en") == "31 Oct 2026"


def test_an_undefined_value_is_shown_as_not_available_never_zero():
    for fmt in (i18n.fmt_money, i18n.fmt_percent, i18n.fmt_days, i18n.fmt_number):
        assert fmt(None, "fr") == "n.d."
        assert fmt(None, "en") == "n/a"
    assert i18n.fmt_date(None, "en") == "n/a"


def test_shares_days_and_points_follow_the_language():
    assert plain(i18n.fmt_percent(0.3758, "fr")) == "37,6 %"
    assert i18n.fmt_percent(0.3758, "en") == "37.6%"
    assert plain(i18n.fmt_days(93.36, "fr")) == "93,4 j"
    assert plain(i18n.fmt_days(93.36, "en")) == "93.4 d"
    assert plain(i18n.fmt_points(-0.011, "fr")) == "-1,1 pt"
    assert plain(i18n.fmt_percent_value(55.93, "fr")) == "55,9 %"


def test_a_positive_change_gets_a_plus_sign():
    assert i18n.fmt_signed("3", 3) == "+3"
    assert i18n.fmt_signed("-3", -3) == "-3"
    assert i18n.fmt_signed("0", 0) == "0"


def test_bucket_labels_are_translated():
    assert i18n.bucket_label("not_due", "fr") == "Non échu"
    assert i18n.bucket_label("not_due", "en") == "Not due"
    assert plain(i18n.bucket_label("1-30", "fr")) == "1-30 j"
    assert i18n.bucket_label(">120", "en") == ">120 d"


def test_every_label_exists_in_both_languages_with_the_same_placeholders():
    for key, (fr, en) in i18n.TEXTS.items():
        assert fr.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)}", fr)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_label_the_pages_ask_for_exists():
    pages = ["common", "overview", "aged_balance", "concentration", "losses", "data"]
    sources = [ROOT / "app.py", *(ROOT / "pages" / f"{name}.py" for name in pages)]
    keys = set()
    for path in sources:
        keys |= set(re.findall(r"\bt\(\s*\"([a-z0-9_]+)\"", path.read_text(encoding="utf-8")))
    assert keys, "no label found in the pages"
    missing = sorted(k for k in keys if k not in i18n.TEXTS)
    assert missing == []


def test_a_label_in_english_differs_from_french_where_the_words_differ():
    assert i18n.t("tile_outstanding", "fr") == "Encours"
    assert i18n.t("tile_outstanding", "en") == "Outstanding"
    assert i18n.t("cash_result", "en", dso="1", target="2", cash="3").startswith("Bringing")


def test_markdown_characters_in_data_are_escaped():
    escaped = i18n.escape_markdown("[x](javascript:alert(1)) *b* <i>")
    assert "\\[" in escaped and "\\*" in escaped and "\\<" in escaped
    assert "[x](" not in escaped


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_a_french_number_reads_back_as_the_same_value(value):
    text = plain(i18n.fmt_number(value, "fr")).replace(" ", "").replace(",", ".")
    assert Decimal(text) == value


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_unknown_keys_are_an_error_not_a_silent_blank(lang):
    with pytest.raises(KeyError):
        i18n.t("no_such_label", lang)


def test_a_customer_without_a_name_is_shown_by_its_code():
    assert i18n.customer_label("Dupont", "C1") == "Dupont (C1)"
    assert i18n.customer_label(None, "C1") == "C1"
    assert i18n.customer_label(float("nan"), "C1") == "C1"
