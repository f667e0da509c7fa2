"""Concentration: Pareto and Lorenz curves, top-N table, HHI, effective number, Gini, on
outstanding, overdue or revenue, with the indicative thresholds explained."""

from __future__ import annotations

import streamlit as st

from analytics import charts, i18n
from analytics.concentration import BASES
from pages import common

common.start_page(common.PAGE_CONCENTRATION)
t = common.t
c = common.require_data()
lang = c.lang

st.title(t("conc_title"))
st.caption(i18n.fmt_date(c.as_of, lang))
basis = st.radio(
    t("conc_basis"),
    BASES,
    format_func=lambda b: t(f"basis_{b}"),
    horizontal=True,
    key="conc_basis",
)
view = common.call("concentration_view", basis=basis)
summary = view["summary"]
n = summary["n"]

cols = st.columns(5)
cols[0].metric(t("conc_top_share", n=n), i18n.fmt_percent(summary["top_n_share"], lang))
cols[1].metric(t("conc_hhi"), i18n.fmt_number(summary["hhi"], lang, 0))
cols[2].metric(t("conc_effective"), i18n.fmt_number(summary["effective_customers"], lang, 1))
cols[3].metric(t("conc_gini"), i18n.fmt_number(summary["gini"], lang, 3))
cols[4].metric(
    t("conc_80"),
    i18n.na(lang)
    if summary["customers_for_80pct"] is None
    else f"{summary['customers_for_80pct']} / {summary['customers']}",
)
st.info(t("conc_thresholds"))

pareto = view["pareto"]
left, right = st.columns(2)
with left:
    pareto_event = st.plotly_chart(
        charts.pareto(pareto, lang, c.currency),
        on_select=common.remember_selection("concentration", "pareto"),
        selection_mode="points",
        key="pareto",
    )
with right:
    lorenz_event = st.plotly_chart(
        charts.lorenz(view["lorenz"], lang, summary["gini"], pareto),
        on_select=common.remember_selection("concentration", "lorenz"),
        selection_mode="points",
        key="lorenz",
    )
st.caption(t("drill_hint"))

row = None
picked = common.last_selected_point(
    "concentration", {"pareto": pareto_event, "lorenz": lorenz_event}
)
if picked is not None and picked[0] == "pareto":
    location = charts.point_location(picked[1])
    if location is not None and location[1] < len(pareto):
        row = pareto.iloc[location[1]]
elif picked is not None:
    customer = charts.point_data(picked[1])
    location = charts.point_location(picked[1])
    if customer is None and location is not None and location[0] == 1:
        customers = charts.lorenz_customers(view["lorenz"], pareto)
        customer = customers[location[1]] if location[1] < len(customers) else None
    found = pareto[pareto["customer_id"] == customer]
    if customer is not None and not found.empty:
        row = found.iloc[0]
if row is not None:
    common.drill_invoices(
        None,
        key="conc_drill",
        customer_id=str(row["customer_id"]),
        customer_name=row["customer_name"],
    )

st.subheader(t("conc_top_share", n=n))
top = pareto.head(n)[["rank", "customer_id", "customer_name", "balance", "share", "cum_share"]]
shown = common.money_columns(top, ["balance"])
shown["share"] = [i18n.fmt_percent(v, lang) for v in top["share"]]
shown["cum_share"] = [i18n.fmt_percent(v, lang) for v in top["cum_share"]]
shown["link"] = [common.customer_url(str(cid)) for cid in top["customer_id"]]
st.dataframe(
    shown.rename(
        columns={
            "rank": t("col_rank"),
            "customer_id": t("col_customer_id"),
            "customer_name": t("col_customer_name"),
            "balance": t(f"basis_{basis}"),
            "share": t("col_share"),
            "cum_share": t("col_cum_share"),
        }
    ),
    hide_index=True,
    column_config={"link": st.column_config.LinkColumn(t("col_link"), display_text="→")},
    key="conc_top",
)
