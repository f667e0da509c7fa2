"""History: month-end series of every KPI over 24 months, the roll-rate matrix as a heat map
(pooled or one month), and the billing cohorts (share still unpaid after 30/60/90 days)."""

from __future__ import annotations

import streamlit as st

from analytics import charts, credit_views, i18n
from pages import common
from pages import credit_common as cc

common.start_page(common.PAGE_HISTORY)
t = cc.t
c = common.require_data()
lang = c.lang
labels = credit_views.bucket_names(c.settings)

st.title(t("history_title"))
st.caption(i18n.fmt_date(c.as_of, lang))

view = cc.call("history_view")
frame = view["history"]
currency = c.currency or (frame["currency"].iloc[0] if len(frame) else None)
frame = frame[frame["currency"] == currency] if len(frame) else frame

st.subheader(t("history_kpis"))
money_keys = ["ar", "not_due", "overdue"]
day_keys = ["dso_period", "dso_countback", "bpdso", "add"]
picked = st.multiselect(
    t("history_pick"),
    day_keys,
    default=["dso_period", "bpdso", "add"],
    format_func=lambda k: t(f"kpi_{k}"),
    key="history_kpis",
)
if frame.empty:
    st.info(common.t("no_rows"))
else:
    st.plotly_chart(credit_views.history_lines(frame, picked, lang), key="history_lines")
    st.plotly_chart(charts.aging_history(frame, labels, lang), key="history_aging")
    table = cc.table_for(
        "history_view",
        ["month_end", *credit_views.HISTORY_KPIS],
        part="history",
        rename={k: f"kpi_{k}" for k in credit_views.HISTORY_KPIS},
        groups={
            "money_cols": tuple(money_keys),
            "day_cols": tuple(day_keys),
            "percent_cols": ("overdue_share",),
            "number_cols": ("cei",),
            "date_cols": ("month_end",),
        },
        currency=currency,
    )
    st.dataframe(table.loc[frame.index], hide_index=True, key="history_table")

st.subheader(t("history_roll_title"))
roll = view["roll"]
roll = roll[roll["currency"] == currency] if len(roll) else roll
months = sorted(set(roll["month_end"]), reverse=True) if len(roll) else []
period = st.selectbox(
    t("history_roll_month"),
    [None, *months],
    format_func=lambda m: t("history_roll_pooled") if m is None else i18n.fmt_date(m, lang),
    key="history_roll_month",
)
matrix = credit_views.roll_matrix(roll, labels, period)
if matrix.empty:
    st.info(common.t("no_rows"))
else:
    st.plotly_chart(credit_views.roll_heatmap(matrix, labels, lang), key="history_roll")

st.subheader(t("history_cohort_title"))
cohorts = cc.call("cohorts")
cohorts = cohorts[cohorts["currency"] == currency] if len(cohorts) else cohorts
st.caption(t("history_cohort_help", days="30 / 60 / 90"))
if cohorts.empty:
    st.info(common.t("no_rows"))
else:
    st.plotly_chart(credit_views.cohort_heatmap(cohorts, lang), key="history_cohorts")
    unpaid = [f"unpaid_{k}" for k in credit_views.COHORT_DAYS]
    st.dataframe(
        cc.table_for(
            "cohorts",
            ["month", "invoices", "billed", *unpaid],
            rename={
                u: t("col_unpaid_after", days=k)
                for u, k in zip(unpaid, credit_views.COHORT_DAYS, strict=True)
            },
            groups={
                "money_cols": ("billed",),
                "date_cols": ("month",),
                "percent_cols": tuple(unpaid),
            },
            currency=currency,
        ).loc[cohorts.index],
        hide_index=True,
        key="history_cohort_table",
    )
