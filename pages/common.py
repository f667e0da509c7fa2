"""What every page shares: the workspace, the global context from the sidebar, cached calls.

The DuckDB workspace is opened once per file (``st.cache_resource``); analytics results are
cached (``st.cache_data``) on the workspace path, the dataset id and its sha256, the as-of
date, the filters and the settings: never on a DataFrame.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics import i18n, views
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


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(
    name: str,
    ws_path: str,
    dataset_id: int,
    sha256: str,
    as_of: date,
    filters: Filters,
    settings_json: str,
    kwargs_json: str,
) -> Any:
    fn = getattr(views, name)
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


def money(value: Any, currency: str | None = None) -> str:
    return i18n.fmt_money(value, lang(), currency or ctx().currency or "EUR")


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


def customer_links(frame: pd.DataFrame) -> None:
    """One link per customer of ``frame`` (customer_id, customer_name) to its drill-down."""
    for cid, name in zip(frame["customer_id"], frame["customer_name"], strict=True):
        st.page_link(
            PAGE_CUSTOMER,
            label=i18n.escape_markdown(i18n.customer_label(name, cid)),
            query_params={"customer": str(cid)},
        )


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
