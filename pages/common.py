"""What every page shares: the workspace, the global context from the sidebar, cached calls.

The DuckDB workspace is opened once per file (``st.cache_resource``); analytics results are
cached (``st.cache_data``) on the workspace path, the dataset id and its sha256, the as-of
date, the filters and the settings: never on a DataFrame.

Stable API for pages (``from pages import common``):

- context: ``ctx() -> Context`` (``ws_path, dataset, as_of, filters, settings, lang``,
  ``dataset_id``, ``currency``), set by ``app.py`` before the page runs;
  ``require_data() -> Context`` (shows the guiding empty state and stops when there is no
  dataset); shortcuts ``current_workspace()``, ``dataset()``, ``as_of()``, ``filters()``,
  ``settings()``, ``lang()``.
- labels: ``t(key, **values)`` (``analytics.i18n.TEXTS`` in the current language).
- cached analytics: ``call(view_name, *, at=None, filters=None, **kwargs)`` (and
  ``call_for(context, view_name, **kwargs)`` outside a script run) runs
  ``analytics.views.<view_name>``; ``cached(fn, *, at=None, filters=None, **kwargs)`` runs any
  analytics function ``fn(con, as_of, *, dataset_id, filters, **kwargs)`` of an ``analytics``
  module (keyword values must be JSON-serialisable), both cached on the context.
- formatting in the current language: ``money(value, currency=None)``, ``number(value, digits)``,
  ``percent(fraction, digits)``, ``days(value)``, ``fmt_date(value)``, and for frames
  ``money_columns``, ``date_columns``, ``invoice_table``.
- links: ``customer_url(customer_id)`` (relative URL ``customer?customer=<id>``),
  ``customer_link(customer_id, name=None)`` (a page link to the drill-down),
  ``customer_links(frame)``; ``PAGE_*`` paths of every page.
- drill-down helpers: ``drill_invoices(bucket, at=None, key=...)``, ``selected_point(event)``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics import credit_views, i18n, views
from analytics.asof import MixedCurrencyError
from analytics.config import Filters, Settings
from analytics.pipeline import InputFile, load_files
from analytics.store import DatasetInfo, Workspace, workspace_path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_DIR / "data" / "sample"
SAMPLE_NAME = "Exemple / Sample"

PAGE_OVERVIEW = "pages/overview.py"
PAGE_AGED = "pages/aged_balance.py"
PAGE_CONCENTRATION = "pages/concentration.py"
PAGE_LOSSES = "pages/losses.py"
PAGE_CUSTOMER = "pages/customer.py"
PAGE_DATA = "pages/data.py"
PAGE_CUSTOMERS = "pages/customers.py"
PAGE_COLLECTIONS = "pages/collections.py"
PAGE_FORECAST = "pages/forecast.py"
PAGE_HISTORY = "pages/history.py"

#: The "Credit management" group: (path, title key, icon, url path), listed when the file exists.
CREDIT_PAGES: tuple[tuple[str, str, str, str], ...] = (
    (PAGE_CUSTOMERS, "nav_customers", ":material/groups:", "customers"),
    (PAGE_COLLECTIONS, "nav_collections", ":material/call:", "collections"),
    (PAGE_FORECAST, "nav_forecast", ":material/payments:", "forecast"),
    (PAGE_HISTORY, "nav_history", ":material/history:", "history"),
)


def page_exists(page: str) -> bool:
    """Whether the page file ``page`` (relative to the project) is there."""
    return (PROJECT_DIR / page).is_file()


@dataclass(frozen=True)
class Context:
    """The global choices of the sidebar, read by every page."""

    ws_path: str
    dataset: DatasetInfo | None
    as_of: date | None
    filters: Filters
    settings: Settings
    lang: str

    @property
    def dataset_id(self) -> int | None:
        return self.dataset.dataset_id if self.dataset else None

    @property
    def currency(self) -> str | None:
        return self.filters.currency[0] if len(self.filters.currency) == 1 else None


@st.cache_resource(show_spinner=False)
def workspace(path: str) -> Workspace:
    """The workspace file, opened once per server process."""
    return Workspace(path)


@st.cache_resource(show_spinner=False)
def _sample_attempts() -> set[str]:
    """Workspaces into which this server process already loaded the sample on its own."""
    return set()


def current_workspace() -> Workspace:
    return workspace(str(workspace_path()))


def load_sample(ws: Workspace) -> int:
    """Load the bundled sample into ``ws`` as one dataset; its id."""
    files = [InputFile(p) for p in sorted(SAMPLE_DIR.glob("*.csv"))]
    return load_files(ws, files, SAMPLE_NAME).dataset_id


def autoload_sample(ws: Workspace, lang: str) -> None:
    """On the first start against an empty workspace, load the sample (once per process)."""
    attempts = _sample_attempts()
    key = str(ws.path)
    if key in attempts or ws.datasets():
        attempts.add(key)
        return
    attempts.add(key)
    with st.spinner(i18n.t("sample_loading", lang)):
        load_sample(ws)


def lang() -> str:
    return st.session_state.get("lang", i18n.DEFAULT_LANG)


def t(key: str, **values: object) -> str:
    return i18n.t(key, lang(), **values)


def ctx() -> Context:
    """The context the shell stored for this run."""
    found = st.session_state.get("_ctx")
    if found is None:
        return Context(str(workspace_path()), None, None, Filters(), Settings(), lang())
    return found


def dataset() -> DatasetInfo | None:
    return ctx().dataset


def as_of() -> date | None:
    return ctx().as_of


def filters() -> Filters:
    return ctx().filters


def settings() -> Settings:
    return ctx().settings


def require_data() -> Context:
    """The context, or the guiding empty state (and stop) when there is no dataset yet."""
    c = ctx()
    if c.dataset is None or c.as_of is None:
        empty_state()
        st.stop()
    return c


def empty_state() -> None:
    st.header(t("empty_title"))
    st.write(t("empty_body"))
    left, right = st.columns(2)
    if left.button(t("empty_load_sample"), type="primary", key="empty_load_sample"):
        with st.spinner(t("sample_loading")):
            load_sample(current_workspace())
        st.session_state.pop("dataset_id", None)
        st.rerun()
    right.page_link(PAGE_DATA, label=t("empty_go_upload"), icon=":material/upload:")


#: The page-facing facades whose functions ``call`` and ``call_for`` cache.
FACADES = {"views": views, "credit_views": credit_views}


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(
    facade: str,
    name: str,
    ws_path: str,
    dataset_id: int,
    sha256: str,
    as_of: date,
    filters: Filters,
    settings_json: str,
    kwargs_json: str,
) -> Any:
    fn = getattr(FACADES[facade], name)
    con = workspace(ws_path).cursor()
    try:
        return fn(
            con,
            as_of,
            dataset_id=dataset_id,
            filters=filters,
            settings=views.settings_from_json(settings_json),
            **json.loads(kwargs_json),
        )
    finally:
        con.close()


def call_for(c: Context, name: str, *, facade: str = "views", **kwargs: Any) -> Any:
    """``<facade>.<name>`` for an explicit context, cached; usable outside a script run (the
    deferred data of a download button)."""
    assert c.dataset is not None and c.as_of is not None
    return _cached(
        facade,
        name,
        c.ws_path,
        c.dataset.dataset_id,
        c.dataset.sha256,
        c.as_of,
        c.filters,
        views.settings_to_json(c.settings),
        json.dumps(kwargs, sort_keys=True),
    )


def call(
    name: str, *, at: date | None = None, filters: Filters | None = None, **kwargs: Any
) -> Any:
    """``views.<name>`` for the current context, cached; ``at`` overrides the as-of date.

    Several currencies without a currency filter: a warning, and the page stops.
    """
    c = require_data()
    assert c.dataset is not None and c.as_of is not None
    try:
        return _cached(
            "views",
            name,
            c.ws_path,
            c.dataset.dataset_id,
            c.dataset.sha256,
            at or c.as_of,
            filters or c.filters,
            views.settings_to_json(c.settings),
            json.dumps(kwargs, sort_keys=True),
        )
    except MixedCurrencyError:
        st.warning(t("mixed_currency"))
        st.stop()


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_function(
    target: str,
    ws_path: str,
    dataset_id: int,
    sha256: str,
    as_of: date,
    filters: Filters,
    kwargs_json: str,
) -> Any:
    module_name, _, function_name = target.partition(":")
    fn = getattr(importlib.import_module(module_name), function_name)
    con = workspace(ws_path).cursor()
    try:
        return fn(con, as_of, dataset_id=dataset_id, filters=filters, **json.loads(kwargs_json))
    finally:
        con.close()


def cached(
    fn: Callable[..., Any],
    *,
    at: date | None = None,
    filters: Filters | None = None,
    **kwargs: Any,
) -> Any:
    """``fn(con, as_of, dataset_id=..., filters=..., **kwargs)`` for the current context, cached.

    ``fn`` is a function of an ``analytics`` module; ``kwargs`` must be JSON-serialisable.
    Several currencies without a currency filter: a warning, and the page stops.
    """
    module = getattr(fn, "__module__", "") or ""
    if not module.startswith("analytics."):
        raise ValueError(f"not an analytics function: {fn!r}")
    c = require_data()
    assert c.dataset is not None and c.as_of is not None
    try:
        return _cached_function(
            f"{module}:{fn.__name__}",
            c.ws_path,
            c.dataset.dataset_id,
            c.dataset.sha256,
            at or c.as_of,
            filters or c.filters,
            json.dumps(kwargs, sort_keys=True),
        )
    except MixedCurrencyError:
        st.warning(t("mixed_currency"))
        st.stop()


def money(value: Any, currency: str | None = None) -> str:
    """Money in the current language and currency (``1 234,56 €``); None gives n/a."""
    return i18n.fmt_money(value, lang(), currency or ctx().currency or "EUR")


def number(value: Any, digits: int = 2) -> str:
    return i18n.fmt_number(value, lang(), digits)


def percent(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage (``0.376`` gives ``37,6 %``)."""
    return i18n.fmt_percent(value, lang(), digits)


def days(value: Any, digits: int = 1) -> str:
    return i18n.fmt_days(value, lang(), digits)


def fmt_date(value: Any) -> str:
    return i18n.fmt_date(value, lang())


def money_columns(
    frame: pd.DataFrame, columns: list[str], currency: str | None = None
) -> pd.DataFrame:
    """A copy with ``columns`` formatted as money text in the current language."""
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = [money(v, currency) for v in out[col]]
    return out


def date_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = [i18n.fmt_date(v, lang()) if pd.notna(v) else "" for v in out[col]]
    return out


def invoice_table(frame: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """Open items (``views.open_invoices``) ready to show: labelled, formatted, text only."""
    shown = money_columns(frame, ["amount", "open_amount"], currency)
    shown = date_columns(shown, ["invoice_date", "due_date"])
    labels = {c: t(f"col_{c}") for c in views.INVOICE_COLUMNS}
    return shown.rename(columns=labels)


def customer_url(customer_id: str) -> str:
    """Relative URL of a customer's drill-down page."""
    from urllib.parse import urlencode

    return "customer?" + urlencode({"customer": customer_id})


def customer_link(customer_id: object, name: object = None, *, label: str | None = None) -> None:
    """A link to the customer's drill-down page (``customer?customer=<id>``), shown as text."""
    text = label if label is not None else i18n.customer_label(name, customer_id)
    st.page_link(
        PAGE_CUSTOMER,
        label=i18n.escape_markdown(text),
        query_params={"customer": str(customer_id)},
    )


def customer_links(frame: pd.DataFrame) -> None:
    """One link per customer of ``frame`` (customer_id, customer_name) to its drill-down."""
    for cid, name in zip(frame["customer_id"], frame["customer_name"], strict=True):
        customer_link(cid, name)


def drill_invoices(bucket: str | None, at: date | None = None, key: str = "drill") -> None:
    """The invoices behind a bucket at a date, as a table."""
    frame = call("open_invoices", at=at, bucket=bucket)
    st.subheader(t("drill_title"))
    caption = i18n.bucket_label(bucket, lang()) if bucket else ""
    st.caption(f"{caption} — {i18n.fmt_date(at or ctx().as_of, lang())} — {len(frame)}")
    if frame.empty:
        st.info(t("no_rows"))
        return
    st.dataframe(invoice_table(frame), hide_index=True, key=f"{key}_table")


def selected_point(event: Any) -> dict[str, Any] | None:
    """The first point selected in a Plotly chart event (``st.plotly_chart(on_select=...)``)."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    return points[0] if points else None
