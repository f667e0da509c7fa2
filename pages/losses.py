"""Losses: labelled ratios (write-offs, doubtful inflow), doubtful receivables flagged vs
age-based, the provision matrix as an editable table with its result, the cost of an unpaid."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st

from analytics import charts, i18n, views
from pages import common

common.start_page(common.PAGE_LOSSES)
t = common.t
c = common.require_data()
lang = c.lang

st.title(t("losses_title"))
st.caption(i18n.fmt_date(c.as_of, lang))
view = common.call("losses_view")
wo, doubtful, inflow, prov = view["write_off"], view["doubtful"], view["inflow"], view["provision"]

basis = wo.get("basis")
cols = st.columns(3)
cols[0].metric(
    t("losses_write_off"),
    i18n.fmt_percent(wo["ratio"], lang, 2),
    help=t("losses_write_off_help", basis=t(f"basis_{basis}") if basis else i18n.na(lang)),
)
cols[0].caption(
    f"{common.money(wo['write_offs'])} / {common.money(wo['sales'])}"
    + (f" ({t(f'basis_{basis}')})" if basis else "")
)
cols[1].metric(
    t("losses_inflow"), i18n.fmt_percent(inflow["ratio"], lang, 2), help=t("losses_inflow_help")
)
cols[1].caption(f"{common.money(inflow['inflow'])} / {common.money(inflow['sales'])}")
cols[2].metric(t("losses_doubtful_share"), i18n.fmt_percent(doubtful["doubtful_share"], lang))

cols = st.columns(2)
cols[0].metric(t("losses_doubtful_flagged"), common.money(doubtful["flagged"]))
cols[1].metric(
    t("losses_doubtful_age", days=c.settings.doubtful_after_days),
    common.money(doubtful["age_based"]),
)

st.subheader(t("losses_provision_title"))
st.caption(t("losses_provision_help"))
rows = prov["rows"]
editor_frame = pd.DataFrame(
    {
        "bucket": [r["bucket"] for r in rows],
        "label": [i18n.bucket_label(r["bucket"], lang) for r in rows],
        "rate": [float(r["rate"] * 100) for r in rows],
    }
)
edited = st.data_editor(
    editor_frame,
    hide_index=True,
    disabled=["bucket", "label"],
    column_config={
        "bucket": None,
        "label": st.column_config.TextColumn(t("col_bucket")),
        "rate": st.column_config.NumberColumn(
            t("col_rate") + " (%)", min_value=0.0, max_value=100.0, step=0.5
        ),
    },
    key="provision_editor",
)
new_rates: dict[str, Decimal] = {}
for bucket, rate in zip(edited["bucket"], edited["rate"], strict=True):
    try:
        new_rates[bucket] = Decimal(str(rate)) / 100
    except (InvalidOperation, TypeError):
        new_rates[bucket] = Decimal("0")
current = {r["bucket"]: r["rate"] for r in rows}
if any(new_rates[b] != current[b] for b in new_rates):
    st.session_state["provision_rates"] = {
        **st.session_state.get("provision_rates", {}),
        **new_rates,
    }
    st.rerun()

result = pd.DataFrame(
    {
        t("col_bucket"): [i18n.bucket_label(r["bucket"], lang) for r in rows],
        t("col_items"): [r["items"] for r in rows],
        t("col_base"): [common.money(r["base"]) for r in rows],
        t("col_rate"): [i18n.fmt_percent(r["rate"], lang) for r in rows],
        t("col_provision"): [common.money(r["provision"]) for r in rows],
    }
)
st.dataframe(result, hide_index=True, key="provision_result")
st.metric(t("losses_provision_total"), common.money(prov["total"]))
event = st.plotly_chart(
    charts.provision(rows, lang, c.currency),
    on_select="rerun",
    selection_mode="points",
    key="provision_chart",
)
st.caption(t("drill_hint"))
picked = common.selected_point(event)
bucket = charts.point_data(picked)
location = charts.point_location(picked)
if bucket is None and location is not None and location[1] < len(rows):
    bucket = rows[location[1]]["bucket"]
if bucket in {r["bucket"] for r in rows}:
    items = common.call("provision_invoices", row=str(bucket))
    st.subheader(t("drill_title"))
    parts = [i18n.bucket_label(str(bucket), lang), i18n.fmt_date(c.as_of, lang), str(len(items))]
    st.caption(" — ".join(i18n.escape_markdown(part) for part in parts))
    if items.empty:
        st.info(t("no_rows"))
    else:
        after = views.INVOICE_COLUMNS.index("open_amount") + 1
        order = [*views.INVOICE_COLUMNS[:after], "base", *views.INVOICE_COLUMNS[after:]]
        shown_items = common.invoice_table(common.money_columns(items[order], ["base"]))
        st.dataframe(
            shown_items.rename(columns={"base": t("col_base")}),
            hide_index=True,
            key="provision_drill_table",
        )

st.subheader(t("losses_cost_title"))
loss = st.number_input(
    t("losses_cost_amount"), min_value=0.0, value=1000.0, step=100.0, key="loss_amount"
)
needed = views.extra_sales(Decimal(str(loss)), c.settings)
if needed is None:
    st.warning(t("losses_cost_none"))
else:
    st.success(
        t(
            "losses_cost_result",
            sales=common.money(needed),
            margin=i18n.fmt_percent(c.settings.net_margin_rate, lang),
        )
    )
