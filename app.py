"""Encours: the Streamlit entry point (shell, shared sidebar, navigation)."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import streamlit as st

from analytics import i18n, views
from analytics.config import (
    BUCKET_EDGES,
    NET_MARGIN_RATE,
    PERIOD_DAYS,
    VAT_RATE,
    Filters,
    Settings,
)
from analytics.store import Workspace, WorkspaceError, workspace_path
from pages import common

LOG = logging.getLogger("encours")

st.set_page_config(page_title="Encours", page_icon=":material/account_balance:", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = i18n.DEFAULT_LANG
lang = st.session_state["lang"]
t = common.t

PAGES = {
    "overview": st.Page(
        common.PAGE_OVERVIEW,
        title=t("nav_overview"),
        default=True,
        icon=":material/dashboard:",
        url_path="overview",
    ),
    "aged": st.Page(
        common.PAGE_AGED,
        title=t("nav_aged_balance"),
        icon=":material/table:",
        url_path="aged_balance",
    ),
    "concentration": st.Page(
        common.PAGE_CONCENTRATION,
        title=t("nav_concentration"),
        icon=":material/pie_chart:",
        url_path="concentration",
    ),
    "losses": st.Page(
        common.PAGE_LOSSES, title=t("nav_losses"), icon=":material/warning:", url_path="losses"
    ),
    "data": st.Page(
        common.PAGE_DATA, title=t("nav_data"), icon=":material/upload_file:", url_path="data"
    ),
}
credit = [
    st.Page(path, title=t(title), icon=icon, url_path=url_path)
    for path, title, icon, url_path in common.CREDIT_PAGES
    if common.page_exists(path)
]
drill_down = (
    [
        st.Page(
            common.PAGE_CUSTOMER,
            title=t("nav_customer"),
            icon=":material/person:",
            url_path="customer",
            visibility="hidden",
        )
    ]
    if common.page_exists(common.PAGE_CUSTOMER)
    else []
)
sections: dict[str, list] = {
    "": [PAGES["overview"], *drill_down],
    t("nav_receivables"): [PAGES["aged"], PAGES["concentration"], PAGES["losses"]],
}
if credit:
    sections[t("nav_credit")] = credit
sections[t("nav_data")] = [PAGES["data"]]
pg = st.navigation(sections, position="sidebar")
common.route_pending()

with st.sidebar:
    st.selectbox(
        t("sidebar_language"),
        i18n.LANGS,
        format_func=lambda code: {"fr": "Français", "en": "English"}[code],
        key="lang",
    )


def sidebar_context(ws: Workspace) -> common.Context:
    """The sidebar widgets (dataset, as-of date, filters, settings) and the context they give."""
    datasets = ws.datasets()
    dataset = None
    as_of: date | None = None
    filters = Filters()
    with st.sidebar:
        if datasets:
            ids = [d.dataset_id for d in datasets]
            pending = st.session_state.pop("_pending_dataset", None)
            if pending in ids:
                st.session_state["dataset_id"] = pending
            if st.session_state.get("dataset_id") not in ids:
                st.session_state["dataset_id"] = ids[-1]
            names = {d.dataset_id: f"{d.dataset_id} · {d.name}" for d in datasets}
            dataset_id = st.selectbox(
                t("sidebar_dataset"), ids, format_func=names.__getitem__, key="dataset_id"
            )
            dataset = next(d for d in datasets if d.dataset_id == dataset_id)
            default, options = common.dataset_facts(
                str(ws.path), dataset.dataset_id, dataset.sha256
            )
            if st.session_state.get("_as_of_for") != (dataset.dataset_id, dataset.sha256):
                st.session_state["_as_of_for"] = (dataset.dataset_id, dataset.sha256)
                st.session_state["as_of"] = default or date(2000, 1, 1)
                for key in ("f_segment", "f_entity", "f_country", "f_currency"):
                    st.session_state.pop(key, None)
            as_of = st.date_input(
                t("sidebar_as_of"),
                key="as_of",
                help=t("sidebar_as_of_help"),
                format="DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD",
                min_value=date(1990, 1, 1),
                max_value=date(2100, 12, 31),
            )
            with st.expander(t("sidebar_filters"), expanded=False):
                segment = st.multiselect(t("sidebar_segment"), options["segment"], key="f_segment")
                entity = st.multiselect(t("sidebar_entity"), options["entity"], key="f_entity")
                country = st.multiselect(t("sidebar_country"), options["country"], key="f_country")
            currencies = options["currency"] or ["EUR"]
            currency = st.selectbox(t("sidebar_currency"), currencies, key="f_currency")
            filters = Filters(
                segment=tuple(segment),
                entity=tuple(entity),
                country=tuple(country),
                currency=(currency,),
            )

        with st.expander(t("sidebar_settings"), expanded=False):
            edges_text = st.text_input(
                t("settings_edges"), value=", ".join(str(e) for e in BUCKET_EDGES), key="s_edges"
            )
            try:
                edges = views.parse_edges(edges_text)
            except ValueError:
                st.error(t("settings_edges_invalid"))
                edges = BUCKET_EDGES
            period = st.number_input(
                t("settings_period"), min_value=1, max_value=730, value=PERIOD_DAYS, key="s_period"
            )
            vat = st.number_input(
                t("settings_vat"),
                min_value=0.0,
                max_value=100.0,
                value=float(VAT_RATE * 100),
                step=0.5,
                key="s_vat",
            )
            margin = st.number_input(
                t("settings_margin"),
                min_value=0.0,
                max_value=100.0,
                value=float(NET_MARGIN_RATE * 100),
                step=0.5,
                key="s_margin",
            )
            st.caption(t("settings_provision_hint"))

    rates = views.provision_rates_for(edges, st.session_state.get("provision_rates"))
    settings = Settings(
        bucket_edges=edges,
        period_days=int(period),
        provision_rates=rates,
        vat_rate=Decimal(str(vat)) / 100,
        net_margin_rate=Decimal(str(margin)) / 100,
    )
    return common.Context(
        ws_path=str(ws.path),
        dataset=dataset,
        as_of=as_of,
        filters=filters,
        settings=settings,
        lang=lang,
    )


try:
    workspace = common.workspace(str(workspace_path()))
except WorkspaceError as exc:
    st.error(f"{t('workspace_error')}: {exc}")
    st.stop()

try:
    common.autoload_sample(workspace, lang)
    st.session_state["_ctx"] = sidebar_context(workspace)
except Exception as exc:
    LOG.exception("the sidebar failed")
    st.error(t("page_error", error=type(exc).__name__))
    st.stop()

st.session_state[common.SHELL_KEY] = True
try:
    pg.run()
except Exception as exc:
    LOG.exception("the page %s failed", pg.url_path)
    st.error(t("page_error", error=type(exc).__name__))
finally:
    st.session_state.pop(common.SHELL_KEY, None)
