"""Collections: today's worklist ranked by priority (stage, amount, days past due, claimable
penalties), disputed items apart, limit breaches, uninsured exposure, customers whose delays
worsen, and the export of the worklist (CSV / Excel) for a dunning run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import credit_views, i18n
from analytics.worklist import STAGE_ORDER
from pages import common
from pages import credit_common as cc

common.start_page(common.PAGE_COLLECTIONS)
t = cc.t
c = common.require_data()
lang = c.lang
SHOWN_ROWS = 500
TOP_LINKS = 10

st.title(t("collections_title"))
st.caption(t("collections_caption", date=i18n.fmt_date(c.as_of, lang)))

columns = [
    "rank",
    "stage",
    "customer_id",
    "customer_name",
    "invoice_id",
    "due_date",
    "dpd",
    "open_amount",
    "penalty",
    "indemnity_eur",
    "risk_score",
]
item_groups: dict[str, tuple[str, ...]] = {
    "money_cols": ("open_amount", "penalty"),
    "eur_cols": ("indemnity_eur",),
    "date_cols": ("due_date",),
    "number_cols": ("risk_score",),
}
view = cc.outputs(
    "collections_view",
    {
        "items": {
            "part": "items",
            "columns": ["stage", "customer_id", "customer_name", "currency"],
        },
        "totals": {"part": "totals"},
        "stages": {"part": "stages"},
        "uninsured": {"part": "uninsured"},
        "threshold": {"part": "threshold"},
        "rates_missing": {"part": "rates_missing"},
        "disputed": cc.table_spec(columns, part="disputed", head=SHOWN_ROWS, **item_groups),
        "breaches": cc.table_spec(
            ["customer_id", "customer_name", "balance", "credit_limit", "amount_over_limit"],
            part="breaches",
            money_cols=("balance", "credit_limit", "amount_over_limit"),
        ),
        "above": cc.table_spec(
            ["customer_id", "customer_name", "balance", "overdue", "uninsured_exposure"],
            part="uninsured_above",
            money_cols=("balance", "overdue", "uninsured_exposure"),
        ),
        "worsening": cc.table_spec(
            ["customer_id", "customer_name", "days_late_recent", "days_late_prior", "trend"]
            + ["invoices"],
            part="worsening",
            day_cols=("days_late_recent", "days_late_prior", "trend"),
        ),
    },
)
items = view["items"]
currency = c.currency or (items["currency"].iloc[0] if len(items) else None)
totals = view["totals"].get(currency) or {}

cols = st.columns(5)
cols[0].metric(t("collections_items"), str(totals.get("items", 0)))
cols[1].metric(t("collections_amount"), cc.tile(totals.get("amount"), currency))
cols[2].metric(t("collections_penalties"), cc.tile(totals.get("penalties"), currency))
cols[3].metric(t("customer_indemnities"), cc.tile(totals.get("indemnities_eur"), "EUR"))
cols[4].metric(t("collections_disputed"), cc.tile(totals.get("disputed_amount"), currency))
if view["rates_missing"]:
    st.warning(t("penalties_rate_missing"))
    cc.page_link(common.PAGE_DATA, common.t("nav_data"), ":material/table_edit:")

stages = view["stages"]
if not stages.empty:
    st.dataframe(
        cc.table(stages, ["stage", "items", "amount"], money_cols=("amount",)),
        hide_index=True,
        key="collections_stages",
    )

st.subheader(t("collections_worklist"))
in_items = set(items["stage"].unique())
present = [s for s in STAGE_ORDER if s in in_items]
chosen = st.multiselect(
    t("collections_stage"), present, default=present, format_func=cc.stage, key="coll_stages"
)
shown = items[items["stage"].isin(chosen)]
head = shown.head(SHOWN_ROWS)
worklist = cc.outputs(
    "collections_view",
    {
        "table": cc.table_spec(
            columns, part="items", isin={"stage": chosen}, head=SHOWN_ROWS, **item_groups
        )
    },
)["table"]
event = st.dataframe(
    cc.headed(worklist),
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="collections_table",
)
st.caption(f"{len(head)} / {len(shown)} — {t('customers_select_hint')}")
rows = event.selection.rows if event is not None else []
if rows:
    picked = head.iloc[rows[0]]
    cc.customer_link(picked["customer_id"], picked["customer_name"])


def _worklist() -> pd.DataFrame:
    """Every item of the chosen stages with every column, read when a button is clicked."""
    full = common.call_for(c, "collections_view", facade="credit_views")["items"]
    return full[full["stage"].isin(chosen)]


left, right = st.columns(2)
left.download_button(
    t("collections_export_csv"),
    data=lambda: credit_views.worklist_csv(_worklist(), lang),
    file_name=f"relances-{c.as_of.isoformat()}.csv",
    mime="text/csv",
    key="collections_csv",
    on_click="ignore",
)
right.download_button(
    t("collections_export_xlsx"),
    data=lambda: credit_views.worklist_xlsx(_worklist(), lang, c.as_of),
    file_name=f"relances-{c.as_of.isoformat()}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="collections_xlsx",
    on_click="ignore",
)

with st.expander(t("collections_top_links"), expanded=True):
    first = shown.drop_duplicates("customer_id").head(TOP_LINKS)
    for cid, name in zip(first["customer_id"], first["customer_name"], strict=True):
        cc.customer_link(cid, name)


def _table(key: str, widget_key: str, rename: dict[str, str] | None = None) -> None:
    """The formatted table ``key`` of the view, or the no-rows note."""
    table = view[key]
    if table.empty:
        st.info(common.t("no_rows"))
        return
    shown_table = cc.headed(table.rename(columns=rename) if rename else table)
    st.dataframe(shown_table, hide_index=True, key=widget_key)


st.subheader(t("collections_disputed_title"))
_table("disputed", "collections_disputed")

st.subheader(t("collections_breaches"))
_table("breaches", "collections_breaches")

st.subheader(t("collections_uninsured"))
st.metric(t("collections_uninsured"), cc.tile(view["uninsured"].get(currency), currency))
st.caption(t("collections_uninsured_above", amount=cc.money(view["threshold"], currency)))
if not view["above"].empty:
    _table("above", "collections_uninsured", {"uninsured_exposure": "uninsured"})

st.subheader(t("collections_worsening"))
_table(
    "worsening",
    "collections_worsening",
    {"days_late_recent": "recent", "days_late_prior": "prior"},
)
