"""Cash forecast: 13 weeks of expected collections (bars) with the disputed amount apart, the
back-test error of the method, and the forecast by customer."""

from __future__ import annotations

import streamlit as st

from analytics import credit_views, i18n
from pages import common
from pages import credit_common as cc

common.start_page(common.PAGE_FORECAST)
t = cc.t
c = common.require_data()
lang = c.lang
CUSTOMER_ROWS = 200

st.title(t("forecast_title"))
st.caption(t("forecast_caption", date=i18n.fmt_date(c.as_of, lang)))

view = cc.call("forecast_view")
weeks = view["weeks"]
currency = c.currency or (weeks["currency"].iloc[0] if len(weeks) else None)
totals = view["totals"].get(currency) or {}
test = view["backtest"]

cols = st.columns(5)
cols[0].metric(t("forecast_total"), cc.tile(totals.get("forecast"), currency))
cols[1].metric(t("forecast_later"), cc.tile(totals.get("later"), currency))
cols[2].metric(t("forecast_disputed"), cc.tile(totals.get("disputed"), currency))
cols[3].metric(t("forecast_wape"), cc.percent(test["wape"].get(currency)))
cols[4].metric(t("forecast_bias"), cc.percent(test["bias"].get(currency)))

mine = weeks[weeks["currency"] == currency] if len(weeks) else weeks
if mine.empty:
    st.info(common.t("no_rows"))
else:
    st.plotly_chart(
        credit_views.forecast_bars(mine, totals.get("disputed"), lang, currency),
        key="forecast_bars",
    )
    st.dataframe(
        cc.table(
            mine.rename(columns={"label": "week_label"}),
            ["week_label", "start", "end", "amount", "items"],
            money_cols=("amount",),
            date_cols=("start", "end"),
        ).rename(columns={"week_label": t("col_week")}),
        hide_index=True,
        key="forecast_weeks",
    )

st.subheader(t("forecast_backtest_title", date=i18n.fmt_date(test["start"], lang)))
back = test["weeks"]
back = back[back["currency"] == currency] if len(back) else back
if back.empty:
    st.info(common.t("no_rows"))
else:
    st.plotly_chart(credit_views.backtest_chart(back, lang), key="forecast_backtest")

st.subheader(t("forecast_by_customer"))
mine_only = {"currency": [currency] if currency else []}
shape = cc.outputs(
    "forecast_by_customer",
    {"header": {"head": 0}, "ids": {"isin": mine_only, "columns": ["customer_id"]}},
)
week_columns = [col for col in shape["header"].columns if col.startswith("W")]
by_customer = cc.outputs(
    "forecast_by_customer",
    {
        "table": cc.table_spec(
            ["customer_id", "customer_name", "total", *week_columns, "later"],
            isin=mine_only,
            head=CUSTOMER_ROWS,
            money_cols=("total", *week_columns, "later"),
        )
    },
)["table"]
st.dataframe(cc.headed(by_customer), hide_index=True, key="forecast_customers")
st.caption(f"{len(by_customer)} / {len(shape['ids'])}")

st.subheader(t("forecast_disputed"))
disputed = view["disputed"]
if disputed.empty:
    st.info(common.t("no_rows"))
else:
    st.dataframe(
        cc.table_for(
            "forecast_view",
            ["invoice_id", "customer_id", "customer_name", "due_date", "open_amount"],
            part="disputed",
            groups={"money_cols": ("open_amount",), "date_cols": ("due_date",)},
        ),
        hide_index=True,
        key="forecast_disputed",
    )
