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
- cached derived outputs of a large result (parts, rows, columns, tables formatted as text by
  ``pages.formatting``), so that a rerun neither unpickles the whole result nor formats it
  again: ``outputs_for(context, view_name, {key: spec}, ...)``, ``formatted_for(context,
  view_name, columns, kinds, ...)``, and ``outputs(view_name, {key: spec})`` on the current
  context; ``dataset_facts(ws_path, dataset_id, sha256)`` for the sidebar (default as-of
  date, filter options).
- links: ``customer_url(customer_id)`` (relative URL ``customer?customer=<id>``),
  ``customer_link(customer_id, name=None)`` (a page link to the drill-down),
  ``customer_links(frame)``; ``PAGE_*`` paths of every page.
- drill-down helpers: ``drill_invoices(bucket, at=None, key=..., customer_id=None,
  customer_name=None)``, ``selected_point(event)``; with several charts on a page,
  ``remember_selection(group, chart)`` as their ``on_select`` and
  ``last_selected_point(group, events)``.
- routing: ``start_page(PAGE_*)`` first in every page file (a page URL opened on a fresh
  server goes through ``app.py``), ``route_pending()`` in ``app.py``.
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
from streamlit.errors import StreamlitAPIException

from analytics import credit_views, i18n, legal_fr, views
from analytics.asof import MixedCurrencyError
from analytics.config import Filters, Settings
from analytics.pipeline import InputFile, load_files
from analytics.store import DatasetInfo, Workspace, workspace_path
from pages import formatting

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


#: The entry point, relative to the project: the shell that builds ``st.navigation``.
MAIN_SCRIPT = "app.py"
#: Session-state key set by ``app.py`` while it runs the page it routed to.
SHELL_KEY = "_shell_running"
#: Session-state key of a page opened without the shell: (page path, query parameters).
PENDING_PAGE_KEY = "_pending_page"


def start_page(page: str | None) -> None:
    """Make sure ``page`` runs inside the shell; call it first in every page file.

    On a freshly started server, until a session has run ``app.py`` (whose ``st.navigation``
    turns Streamlit's discovery of the ``pages/`` folder off), a session opened on a page URL
    (``/customer?customer=C00561``) runs that page file alone: no sidebar, no context. The
    page and its query parameters are then kept in the session state and the session switches
    to ``app.py``, which routes to the pending page (``route_pending``) with its parameters.
    ``page`` None (a helper module opened as a page) leads to the default page.
    """
    if st.session_state.get(SHELL_KEY):
        return
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    st.session_state[PENDING_PAGE_KEY] = (page or PAGE_OVERVIEW, query if page else {})
    st.switch_page(MAIN_SCRIPT)


def route_pending() -> None:
    """In ``app.py`` right after ``st.navigation``: switch to the page a session opened before
    the shell ran (``start_page``), with its query parameters; nothing when none is pending.

    A pending page that is not in the navigation is dropped (the default page shows).
    """
    pending = st.session_state.pop(PENDING_PAGE_KEY, None)
    if pending is None:
        return
    page, query = pending
    try:
        st.switch_page(page, query_params=query)
    except StreamlitAPIException:
        return


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


@st.cache_data(show_spinner=False, max_entries=64)
def dataset_facts(
    ws_path: str, dataset_id: int, sha256: str
) -> tuple[date | None, dict[str, list[str]]]:
    """The default as-of date and the filter options of a dataset (``views.default_as_of``,
    ``views.filter_options``), cached on its id and content hash."""
    con = workspace(ws_path).cursor()
    try:
        return views.default_as_of(con, dataset_id), views.filter_options(con, dataset_id)
    finally:
        con.close()


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
    rates_version: str,
    kwargs_json: str,
) -> Any:
    del rates_version  # part of the cache key only: penalties follow the rate table in force
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


def _call_key(c: Context, facade: str, name: str, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The arguments of :func:`_cached` for ``<facade>.<name>(**kwargs)`` in context ``c``."""
    assert c.dataset is not None and c.as_of is not None
    return (
        facade,
        name,
        c.ws_path,
        c.dataset.dataset_id,
        c.dataset.sha256,
        c.as_of,
        c.filters,
        views.settings_to_json(c.settings),
        rates_version(),
        json.dumps(kwargs, sort_keys=True),
    )


def rates_version() -> str:
    """The ECB rate table in force and its modification time: edited outside the app, or
    switched with ``ENCOURS_ECB_RATES``, it yields new penalties on the next run."""
    path = legal_fr.active_rates_path()
    try:
        return f"{path}:{path.stat().st_mtime_ns}"
    except OSError:
        return str(path)


def call_for(c: Context, name: str, *, facade: str = "views", **kwargs: Any) -> Any:
    """``<facade>.<name>`` for an explicit context, cached; usable outside a script run (the
    deferred data of a download button)."""
    return _cached(*_call_key(c, facade, name, kwargs))


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
            rates_version(),
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
    return formatting.money_formatter(lang(), currency or ctx().currency or "EUR")(value)


def number(value: Any, digits: int = 2) -> str:
    return formatting.number_formatter(lang(), digits)(value)


def percent(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage (``0.376`` gives ``37,6 %``)."""
    return formatting.percent_text(value, lang(), digits)


def days(value: Any, digits: int = 1) -> str:
    return formatting.days_text(value, lang(), digits)


def fmt_date(value: Any) -> str:
    return i18n.fmt_date(value, lang())


def money_columns(
    frame: pd.DataFrame, columns: list[str], currency: str | None = None
) -> pd.DataFrame:
    """A copy with ``columns`` formatted as money text in the current language."""
    out = frame.copy()
    code = currency or ctx().currency or "EUR"
    for col in columns:
        if col in out.columns:
            out[col] = formatting.format_values(out[col], "money", lang(), code)
    return out


def date_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = formatting.format_values(out[col], "date", lang(), None)
    return out


INVOICE_KINDS = {
    "amount": "money",
    "open_amount": "money",
    "invoice_date": "date",
    "due_date": "date",
}


def invoice_table(frame: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """Open items (``views.open_invoices``) ready to show: labelled, formatted, text only."""
    shown = frame.copy()
    code = currency or ctx().currency or "EUR"
    for col, kind in INVOICE_KINDS.items():
        if col in shown.columns:
            shown[col] = formatting.format_values(shown[col], kind, lang(), code)
    labels = {c: t(f"col_{c}") for c in views.INVOICE_COLUMNS}
    return shown.rename(columns=labels)


def derive(result: Any, spec: dict[str, Any], lang: str, currency: str | None) -> Any:
    """One output of a result (see ``outputs_for``): pure, no Streamlit."""
    value = result if spec.get("part") is None else result[spec["part"]]
    if not isinstance(value, pd.DataFrame):
        return value
    for column, allowed in (spec.get("isin") or {}).items():
        if not value.empty:
            value = value[value[column].isin(allowed)]
    if spec.get("head") is not None:
        value = value.head(int(spec["head"]))
    columns = spec.get("columns")
    kinds = spec.get("kinds")
    if kinds is not None:
        return formatting.format_frame(value, columns or list(value.columns), kinds, lang, currency)
    if columns is not None:
        value = value[[col for col in columns if col in value.columns]]
    floats = [col for col in spec.get("floats") or () if col in value.columns]
    if floats:
        value = value.astype({col: "float64" for col in floats})
    return value


@st.cache_data(show_spinner=False, max_entries=256)
def _outputs(
    facade: str,
    name: str,
    ws_path: str,
    dataset_id: int,
    sha256: str,
    as_of: date,
    filters: Filters,
    settings_json: str,
    rates: str,
    kwargs_json: str,
    outputs_json: str,
    lang: str,
    currency: str | None,
) -> dict[str, Any]:
    result = _cached(
        facade, name, ws_path, dataset_id, sha256, as_of, filters, settings_json, rates, kwargs_json
    )
    specs = json.loads(outputs_json)
    return {key: derive(result, spec, lang, currency) for key, spec in specs.items()}


def outputs_for(
    c: Context,
    name: str,
    outputs: dict[str, dict[str, Any]],
    *,
    currency: str | None = None,
    facade: str = "views",
    **kwargs: Any,
) -> dict[str, Any]:
    """Outputs derived from ``<facade>.<name>(**kwargs)``, cached apart from the whole result.

    A large result costs its unpickling on every rerun that reads it from the cache; a page
    that shows a few parts of it, some rows or some columns, or tables formatted as text, asks
    for those alone, once per context, language and currency. ``outputs`` maps a key to a spec:
    ``part`` (a key of a result that is a dict), ``isin`` ({column: values} rows kept),
    ``head`` (the first rows), ``columns`` (those kept, in that order), ``kinds``
    ({column: kind}: the columns formatted as text by ``pages.formatting.format_frame``; the
    other columns are labelled or shown as text), ``floats`` (columns given as floats, to sort
    rows by an amount without unpickling a Decimal per row; never to compute with). Frames
    keep the result's index: rows of the raw frame, filtered or sorted, pick their formatted
    rows with ``.loc[rows.index]``.
    """
    return _outputs(
        *_call_key(c, facade, name, kwargs),
        json.dumps(outputs, sort_keys=True),
        lang(),
        currency or c.currency or "EUR",
    )


def outputs(
    name: str,
    specs: dict[str, dict[str, Any]],
    *,
    currency: str | None = None,
    facade: str = "views",
    **kwargs: Any,
) -> dict[str, Any]:
    """``outputs_for`` on the current context.

    Several currencies without a currency filter: a warning, and the page stops.
    """
    c = require_data()
    try:
        return outputs_for(c, name, specs, currency=currency, facade=facade, **kwargs)
    except MixedCurrencyError:
        st.warning(t("mixed_currency"))
        st.stop()


def formatted_for(
    c: Context,
    name: str,
    columns: list[str] | tuple[str, ...],
    kinds: dict[str, str],
    *,
    part: str | None = None,
    currency: str | None = None,
    facade: str = "views",
    **kwargs: Any,
) -> pd.DataFrame:
    """``<facade>.<name>`` (its ``part`` when it returns a dict of frames), its ``columns``
    formatted as text by ``kinds`` (``pages.formatting``) in the context's language, cached:
    a rerun that changes nothing formats nothing (``outputs_for``).

    The index is the result's: select and order the rows shown with ``.loc[rows.index]`` of
    the frame ``call`` gives (after filtering or sorting it).
    """
    spec = {"part": part, "columns": list(columns), "kinds": kinds}
    found = outputs_for(c, name, {"table": spec}, currency=currency, facade=facade, **kwargs)
    return found["table"]


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


def drill_invoices(
    bucket: str | None,
    at: date | None = None,
    key: str = "drill",
    *,
    customer_id: str | None = None,
    customer_name: object = None,
) -> None:
    """The invoices behind a figure, as a table under a caption naming the selection.

    The open items at ``at`` (the context's as-of date by default), narrowed to one aging
    ``bucket`` and, with ``customer_id``, to one customer (then a link to its page is shown).
    The caption reads ``<customer> — <bucket> — <date> — <number of rows>``.
    """
    narrow: dict[str, Any] = {}
    if bucket is not None:
        narrow["bucket"] = bucket
    if customer_id is not None:
        narrow["customer_id"] = str(customer_id)
    frame = call("open_invoices", at=at, **narrow)
    st.subheader(t("drill_title"))
    parts: list[str] = []
    if customer_id is not None:
        parts.append(i18n.customer_label(customer_name, customer_id))
    if bucket:
        parts.append(i18n.bucket_label(bucket, lang()))
    parts += [i18n.fmt_date(at or ctx().as_of, lang()), str(len(frame))]
    st.caption(" — ".join(i18n.escape_markdown(part) for part in parts))
    if customer_id is not None:
        customer_link(customer_id, customer_name, label=t("open_customer_page"))
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


def _last_selected_key(group: str) -> str:
    return f"_last_selected_{group}"


def remember_selection(group: str, chart: str) -> Callable[[], None]:
    """An ``on_select`` callback for chart ``chart`` of the charts ``group`` of a page: it
    records that chart as the one whose selection changed last (see ``last_selected_point``)."""

    def record() -> None:
        st.session_state[_last_selected_key(group)] = chart

    return record


def last_selected_point(group: str, events: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Of several charts of a page (chart name -> selection event), the one clicked last and
    its first selected point; None when no chart has a selected point.

    Every chart keeps its own selection: after a click in one chart and then in another,
    both hold a point, and the drill-down follows the later click (the chart recorded by
    ``remember_selection``). When that chart's selection was cleared, the first other chart,
    in the order of ``events``, that still shows a selected point is used.
    """
    points = {name: selected_point(event) for name, event in events.items()}
    last = st.session_state.get(_last_selected_key(group))
    order = ([last] if last in points else []) + [name for name in points if name != last]
    for name in order:
        point = points[name]
        if point is not None:
            return name, point
    return None


if __name__ == "__main__":
    start_page(None)
