"""What the credit-management pages share: cached calls of ``analytics.credit_views``, their
labels, formatting of their tables and the links to a customer's drill-down page.

Results are cached (``st.cache_data``) on the workspace path, the dataset id and its sha256,
the as-of date, the filters, the settings and the keyword arguments: never on a DataFrame.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from analytics import credit_views, i18n
from analytics.asof import MixedCurrencyError
from pages import common

PAGE_CUSTOMER = "pages/customer.py"
PAGE_CUSTOMERS = "pages/customers.py"
PAGE_COLLECTIONS = "pages/collections.py"
PAGE_FORECAST = "pages/forecast.py"
PAGE_HISTORY = "pages/history.py"


def lang() -> str:
    return common.lang()


def t(key: str, **values: object) -> str:
    """A label of the credit pages (or of the shared labels) in the current language."""
    return credit_views.t(key, lang(), **values)


def call(name: str, **kwargs: Any) -> Any:
    """``credit_views.<name>`` for the current context, cached.

    Several currencies without a currency filter: a warning, and the page stops.
    """
    c = common.require_data()
    try:
        return common.call_for(c, name, facade="credit_views", **kwargs)
    except MixedCurrencyError:
        st.warning(common.t("mixed_currency"))
        st.stop()


def money(value: Any, currency: str | None = None) -> str:
    return common.money(value, currency)


def tile(value: Any, currency: str | None = None) -> str:
    """Money for a metric tile: whole units (the tables keep the cents)."""
    return i18n.fmt_money(value, lang(), currency or common.ctx().currency or "EUR", digits=0)


def yes_no(value: Any) -> str:
    if value is None:
        return ""
    return ("Oui" if value else "Non") if lang() == "fr" else ("Yes" if value else "No")


def days(value: Any) -> str:
    return i18n.fmt_days(None if value is None or pd.isna(value) else float(value), lang())


def percent(value: Any) -> str:
    return i18n.fmt_percent(None if value is None or pd.isna(value) else float(value), lang())


def number(value: Any, digits: int = 1) -> str:
    return i18n.fmt_number(None if value is None or pd.isna(value) else value, lang(), digits)


def stage(value: Any) -> str:
    return t(f"stage_{value}") if value else ""


def band(value: Any) -> str:
    return t(f"band_{value}") if isinstance(value, str) and value else i18n.na(lang())


def table(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    money_cols: tuple[str, ...] = (),
    eur_cols: tuple[str, ...] = (),
    date_cols: tuple[str, ...] = (),
    day_cols: tuple[str, ...] = (),
    percent_cols: tuple[str, ...] = (),
    number_cols: tuple[str, ...] = (),
    currency: str | None = None,
) -> pd.DataFrame:
    """``frame[columns]`` formatted as text in the current language, with translated headers.

    Money, dates, days, percentages and numbers follow the language; every value is shown as
    text (customer names are data, never markup).
    """
    out = frame[[c for c in columns if c in frame.columns]].copy()
    cur = currency or common.ctx().currency
    for col in out.columns:
        values = list(out[col])
        if col in money_cols:
            out[col] = [money(v, cur) for v in values]
        elif col in eur_cols:
            out[col] = [money(v, "EUR") for v in values]
        elif col in date_cols:
            out[col] = ["" if v is None or pd.isna(v) else i18n.fmt_date(v, lang()) for v in values]
        elif col in day_cols:
            out[col] = [days(v) for v in values]
        elif col in percent_cols:
            out[col] = [percent(v) for v in values]
        elif col in number_cols:
            out[col] = [number(v) for v in values]
        elif col == "stage":
            out[col] = [stage(v) for v in values]
        elif col == "risk_band":
            out[col] = [band(v) for v in values]
        elif values and all(isinstance(v, bool) or v is None for v in values):
            out[col] = [yes_no(v) for v in values]
        elif col == "status":
            out[col] = [t(f"status_{v}") for v in values]
        else:
            out[col] = ["" if v is None or v is pd.NA else str(v) for v in values]
    return out.rename(columns={c: header(c) for c in out.columns})


def header(column: str) -> str:
    key = f"col_{column}"
    if key in credit_views.TEXTS or key in i18n.TEXTS:
        return t(key)
    return t(column) if column in credit_views.TEXTS else column


def page_link(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app; nothing when the navigation does not list it."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        return


def customer_link(customer_id: str, name: Any = None) -> None:
    """A link to the customer's drill-down page (``?customer=<id>``); the name shown as text."""
    label = i18n.escape_markdown(i18n.customer_label(name, customer_id))
    st.page_link(PAGE_CUSTOMER, label=label, query_params={"customer": str(customer_id)})
