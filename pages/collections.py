"""Collections: today's worklist ranked by priority (stage, amount, days past due, claimable
penalties), disputed items apart, limit breaches, uninsured exposure, customers whose delays
worsen, and the export of the worklist (CSV / Excel) for a dunning run."""

from __future__ import annotations

import streamlit as st

from analytics import credit_views, i18n
from analytics.worklist import STAGE_ORDER
from pages import common
from pages import credit_common as cc

t = cc.t
c = common.require_data()
lang = c.lang
SHOWN_ROWS = 500
TOP_LINKS = 10

st.title(t("collections_title"))
st.caption(t("collections_caption", date=i18n.fmt_date(c.as_of, lang)))

view = cc.call("collections_view")
items = view["items"]
disputed = view["disputed"]
currency = c.currency or (items["currency"].iloc[0] if len(items) else None)
totals = view["totals"].get(currency) or {}

cols = st.columns(5)
cols[0].metric(t("collections_items"), str(totals.get("items", 0)))
cols[1].metric(t("collections_amount"), cc.tile(totals.get("amount"), currency))
cols[2].metric(t("collections_penalties"), cc.tile(totals.get("penalties"), currency))
cols[3].metric(t("customer_indemnities"), cc.tile(totals.get("indemnities_eur"), "EUR"))
cols[4].metric(t("collections_disputed"), cc.tile(totals.get("disputed_amount"), currency))

stages = view["stages"]
if not stages.empty:
    st.dataframe(
        cc.table(stages, ["stage", "items", "amount"], money_cols=("amount",)),
        hide_index=True,
        key="collections_stages",
    )

st.subheader(t("collections_worklist"))
present = [s for s in STAGE_ORDER if s in set(items["stage"])]
chosen = st.multiselect(
    t("collections_stage"), present, default=present, format_func=cc.stage, key="coll_stages"
)
shown = items[items["stage"].isin(chosen)]
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
event = st.dataframe(
    cc.table(
        shown.head(SHOWN_ROWS),
        columns,
        money_cols=("open_amount", "penalty"),
        eur_cols=("indemnity_eur",),
        date_cols=("due_date",),
        number_cols=("risk_score",),
    ),
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="collections_table",
)
st.caption(f"{min(len(shown), SHOWN_ROWS)} / {len(shown)} — {t('customers_select_hint')}")
rows = event.selection.rows if event is not None else []
if rows:
    picked = shown.head(SHOWN_ROWS).iloc[rows[0]]
    cc.customer_link(picked["customer_id"], picked["customer_name"])

left, right = st.columns(2)
left.download_button(
    t("collections_export_csv"),
    data=lambda: credit_views.worklist_csv(shown, lang),
    file_name=f"relances-{c.as_of.isoformat()}.csv",
    mime="text/csv",
    key="collections_csv",
    on_click="ignore",
)
right.download_button(
    t("collections_export_xlsx"),
    data=lambda: credit_views.worklist_xlsx(shown, lang, c.as_of),
    file_name=f"relances-{c.as_of.isoformat()}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="collections_xlsx",
    on_click="ignore",
)

with st.expander(t("collections_top_links"), expanded=True):
    first = shown.drop_duplicates("customer_id").head(TOP_LINKS)
    for cid, name in zip(first["customer_id"], first["customer_name"], strict=True):
        cc.customer_link(cid, name)

st.subheader(t("collections_disputed_title"))
if disputed.empty:
    st.info(common.t("no_rows"))
else:
    st.dataframe(
        cc.table(
            disputed.head(SHOWN_ROWS),
            columns,
            money_cols=("open_amount", "penalty"),
            eur_cols=("indemnity_eur",),
            date_cols=("due_date",),
            number_cols=("risk_score",),
        ),
        hide_index=True,
        key="collections_disputed",
    )

st.subheader(t("collections_breaches"))
breaches = view["breaches"]
if breaches.empty:
    st.info(common.t("no_rows"))
else:
    st.dataframe(
        cc.table(
            breaches,
            ["customer_id", "customer_name", "balance", "credit_limit", "amount_over_limit"],
            money_cols=("balance", "credit_limit", "amount_over_limit"),
        ),
        hide_index=True,
        key="collections_breaches",
    )

st.subheader(t("collections_uninsured"))
st.metric(t("collections_uninsured"), cc.tile(view["uninsured"].get(currency), currency))
above = view["uninsured_above"]
st.caption(t("collections_uninsured_above", amount=cc.money(view["threshold"], currency)))
if not above.empty:
    st.dataframe(
        cc.table(
            above,
            ["customer_id", "customer_name", "balance", "overdue", "uninsured_exposure"],
            money_cols=("balance", "overdue", "uninsured_exposure"),
        ).rename(columns={"uninsured_exposure": t("col_uninsured")}),
        hide_index=True,
        key="collections_uninsured",
    )

st.subheader(t("collections_worsening"))
worsening = view["worsening"]
if worsening.empty:
    st.info(common.t("no_rows"))
else:
    st.dataframe(
        cc.table(
            worsening.rename(columns={"days_late_recent": "recent", "days_late_prior": "prior"}),
            ["customer_id", "customer_name", "recent", "prior", "trend", "invoices"],
            day_cols=("recent", "prior", "trend"),
        ),
        hide_index=True,
        key="collections_worsening",
    )
