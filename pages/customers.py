"""Customers: every customer with balance, overdue, oldest days past due, weighted days late,
risk score, limit utilisation and segment; searchable, sortable, filterable by typology, risk
band and breach; selecting a row opens the customer's drill-down."""

from __future__ import annotations

import streamlit as st

from analytics import credit_views, i18n
from pages import common
from pages import credit_common as cc

common.start_page(common.PAGE_CUSTOMERS)
t = cc.t
c = common.require_data()
lang = c.lang

st.title(t("customers_title"))
st.caption(i18n.fmt_date(c.as_of, lang))

frame = cc.call("customers_table")
search = st.text_input(t("customers_search"), key="customers_search")
left, middle, right = st.columns([2, 2, 1])
segments = left.multiselect(
    t("customers_segment"),
    sorted(s for s in frame["segment"].dropna().unique()),
    key="customers_segments",
)
bands = middle.multiselect(
    t("customers_band"),
    list(credit_views.RISK_BAND_NAMES),
    format_func=cc.band,
    key="customers_bands",
)
breach_only = right.toggle(t("customers_breach_only"), key="customers_breach")

sort_options = [
    "balance",
    "overdue",
    "oldest_dpd",
    "days_late",
    "risk_score",
    "utilisation",
    "customer_id",
    "customer_name",
]
left, right = st.columns([3, 1])
sort_by = left.selectbox("↕", sort_options, format_func=cc.header, key="customers_sort")
descending = right.toggle("↓", value=True, key="customers_desc")

shown = credit_views.filter_customers(
    frame, search=search, segments=segments, bands=bands, breach_only=breach_only
)
shown = shown.sort_values(
    [sort_by, "customer_id"], ascending=[not descending, True], kind="stable", na_position="last"
)
st.caption(t("customers_count", n=len(shown)))

table = cc.table_for(
    "customers_table",
    [
        "customer_id",
        "customer_name",
        "segment",
        "balance",
        "overdue",
        "oldest_dpd",
        "days_late",
        "risk_score",
        "risk_band",
        "utilisation",
        "credit_limit",
    ],
    groups={
        "money_cols": ("balance", "overdue", "credit_limit"),
        "day_cols": ("days_late",),
        "number_cols": ("risk_score",),
        "percent_cols": ("utilisation",),
    },
)
event = st.dataframe(
    table.loc[shown.index],
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="customers_table",
)
st.caption(t("customers_select_hint"))
rows = event.selection.rows if event is not None else []
if rows and rows[0] < len(shown):
    picked = shown.iloc[rows[0]]
    cc.customer_link(picked["customer_id"], picked["customer_name"])
