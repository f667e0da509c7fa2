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
from pages import common, formatting

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
    return formatting.days_text(None if value is None or pd.isna(value) else float(value), lang())


def percent(value: Any) -> str:
    return formatting.percent_text(
        None if value is None or pd.isna(value) else float(value), lang()
    )


def number(value: Any, digits: int = 1) -> str:
    return formatting.number_formatter(lang(), digits)(
        None if value is None or pd.isna(value) else value
    )


def stage(value: Any) -> str:
    return t(f"stage_{value}") if value else ""


def band(value: Any) -> str:
    return t(f"band_{value}") if isinstance(value, str) and value else i18n.na(lang())


def kinds_of(
    *,
    money_cols: tuple[str, ...] = (),
    eur_cols: tuple[str, ...] = (),
    date_cols: tuple[str, ...] = (),
    day_cols: tuple[str, ...] = (),
    percent_cols: tuple[str, ...] = (),
    number_cols: tuple[str, ...] = (),
) -> dict[str, str]:
    """The column kinds of ``pages.formatting`` for the column groups of ``table``."""
    kinds: dict[str, str] = {}
    groups = (
        (money_cols, "money"),
        (eur_cols, "money_eur"),
        (date_cols, "date"),
        (day_cols, "days"),
        (percent_cols, "percent"),
        (number_cols, "number1"),
    )
    for cols, kind in groups:
        for col in cols:
            kinds.setdefault(col, kind)
    return kinds


def headed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its columns' headers in the current language."""
    return frame.rename(columns={c: header(c) for c in frame.columns})


def table(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    currency: str | None = None,
    **groups: tuple[str, ...],
) -> pd.DataFrame:
    """``frame[columns]`` formatted as text in the current language, with translated headers.

    ``groups`` (``money_cols``, ``eur_cols``, ``date_cols``, ``day_cols``, ``percent_cols``,
    ``number_cols``) name the columns of each kind; the others are labelled (stage, risk band,
    status), shown as yes / no (booleans) or as text (customer names are data, never markup).
    """
    cur = currency or common.ctx().currency or "EUR"
    return headed(formatting.format_frame(frame, columns, kinds_of(**groups), lang(), cur))


def table_spec(
    columns: list[str],
    *,
    part: str | None = None,
    isin: dict[str, list[Any]] | None = None,
    head: int | None = None,
    **groups: tuple[str, ...],
) -> dict[str, Any]:
    """The spec of a formatted table for ``outputs`` (``common.outputs_for``): ``columns`` of
    the result's ``part``, rows kept by ``isin`` and ``head``, kinds from the ``groups`` of
    ``table``."""
    return {
        "part": part,
        "isin": isin,
        "head": head,
        "columns": list(columns),
        "kinds": kinds_of(**groups),
    }


def outputs(
    name: str, specs: dict[str, dict[str, Any]], *, currency: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """``common.outputs_for`` of ``credit_views.<name>`` for the current context (cached).

    Several currencies without a currency filter: a warning, and the page stops.
    """
    return common.outputs(name, specs, facade="credit_views", currency=currency, **kwargs)


def table_for(
    name: str,
    columns: list[str],
    *,
    part: str | None = None,
    currency: str | None = None,
    rename: dict[str, str] | None = None,
    groups: dict[str, tuple[str, ...]] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """``table`` of ``credit_views.<name>(**kwargs)`` (its ``part`` when it returns a dict),
    cached on the context, the language and the currency: a rerun formats nothing again.
    ``rename`` renames source columns before their headers are translated.

    The index is the result's: pick the rows shown with ``.loc[rows.index]``, ``rows`` being
    the frame ``call`` gives, filtered or sorted.
    """
    spec = table_spec(columns, part=part, **(groups or {}))
    formatted = outputs(name, {"table": spec}, currency=currency, **kwargs)["table"]
    return headed(formatted.rename(columns=rename) if rename else formatted)


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


if __name__ == "__main__":
    common.start_page(None)
