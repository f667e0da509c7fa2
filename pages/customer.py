"""Customer drill-down (``?customer=<id>``): the customer's aged balance and open invoices."""

from __future__ import annotations

import streamlit as st

from analytics import i18n
from analytics.config import Filters, bucket_labels
from pages import common

t = common.t
c = common.require_data()
lang = c.lang
labels = bucket_labels(tuple(c.settings.bucket_edges))

customer_id = st.query_params.get("customer")
if not customer_id:
    st.title(t("nav_customer"))
    st.info(t("customer_missing"))
    st.page_link(common.PAGE_AGED, label=t("nav_aged_balance"))
    st.stop()

customer_id = str(customer_id)
st.title(t("customer_title", id=customer_id))
one = Filters(
    segment=c.filters.segment,
    entity=c.filters.entity,
    country=c.filters.country,
    customer_id=(customer_id,),
    currency=c.filters.currency,
)
frame = common.call("aged_balance", filters=one)
if frame.empty:
    st.info(t("customer_not_found"))
    st.stop()

row = frame.iloc[0]
st.subheader(str(row["customer_name"] or customer_id))
st.caption(i18n.fmt_date(c.as_of, lang))
cols = st.columns(len(labels) + 1)
for col, label in zip(cols, labels, strict=False):
    col.metric(i18n.bucket_label(label, lang), common.money(row[label]))
cols[-1].metric(t("col_total"), common.money(row["total"]))

invoices = common.call("open_invoices", customer_id=customer_id)
st.subheader(t("drill_title"))
st.dataframe(common.invoice_table(invoices), hide_index=True, key="customer_invoices")
st.caption(f"{len(invoices)} — {t('col_total')} {common.money(row['total'])}")
