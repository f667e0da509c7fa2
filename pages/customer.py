"""Customer drill-down (``?customer=<id>``, bookmarkable): header with balance, overdue, limit
gauge, insured limit and the explained risk score; aged balance; invoices open and paid;
days-late history and distribution; payments; disputes; penalties, indemnities, terms breaches.
"""

from __future__ import annotations

import streamlit as st

from analytics import charts, credit_views, i18n
from pages import common
from pages import credit_common as cc

common.start_page(common.PAGE_CUSTOMER)
t = cc.t
c = common.require_data()
lang = c.lang
labels = credit_views.bucket_names(c.settings)

customer_id = st.query_params.get("customer")
if not customer_id:
    st.title(common.t("nav_customer"))
    st.info(common.t("customer_missing"))
    customers = cc.call("customers_table")
    names = dict(zip(customers["customer_id"], customers["customer_name"], strict=True))
    picked = st.selectbox(
        t("customer_pick_label"),
        [None, *customers["customer_id"]],
        format_func=lambda cid: "—" if cid is None else i18n.customer_label(names.get(cid), cid),
        key="customer_pick",
    )
    if picked is not None:
        st.query_params["customer"] = str(picked)
        st.rerun()
    st.stop()

customer_id = str(customer_id)
st.title(common.t("customer_title", id=customer_id))
head = cc.call("customer_header", customer_id=customer_id)
name = head["customer_name"] if head else cc.call("customer_name", customer_id=customer_id)
invoices = cc.call("customer_invoices", customer_id=customer_id)
if head is None and invoices.empty:
    st.info(common.t("customer_not_found"))
    cc.page_link(cc.PAGE_COLLECTIONS, t("customer_back"), ":material/arrow_back:")
    st.stop()

currency = (head or {}).get("currency") or c.currency
if name:
    st.subheader(i18n.escape_markdown(name))
caption = [i18n.fmt_date(c.as_of, lang)]
if head and head.get("segment"):
    caption.append(str(head["segment"]))
st.caption(" · ".join(caption))
cc.page_link(cc.PAGE_COLLECTIONS, t("customer_back"), ":material/arrow_back:")

if head is None:
    st.info(common.t("customer_not_found"))
else:
    scores = cc.outputs("risk_table", {"rows": {"isin": {"customer_id": [customer_id]}}})["rows"]
    explained = credit_views.risk_explanation(scores, customer_id)
    score = None if explained is None else float(explained["points"].sum())
    cols = st.columns(5)
    cols[0].metric(t("customer_balance"), cc.tile(head["balance"], currency))
    cols[1].metric(t("customer_overdue"), cc.tile(head["overdue"], currency))
    cols[2].metric(t("customer_limit"), cc.tile(head["credit_limit"], currency))
    cols[3].metric(t("customer_insured"), cc.tile(head["insured_limit"], currency))
    cols[4].metric(t("customer_risk"), cc.number(score))
    left, right = st.columns([1, 2])
    with left:
        if head["credit_limit"] is None:
            st.info(t("customer_no_limit"))
        else:
            st.plotly_chart(
                credit_views.limit_gauge(head["utilisation"], lang), key="customer_gauge"
            )
    with right:
        if explained is not None:
            st.plotly_chart(credit_views.risk_components(explained, lang), key="customer_risk")
    if explained is not None:
        shown = explained.assign(
            component=[t(f"risk_{x}") for x in explained["component"]],
            value=[
                "" if v is None else (cc.yes_no(v) if isinstance(v, bool) else cc.number(v, 2))
                for v in explained["value"]
            ],
        )
        st.dataframe(
            cc.table(
                shown, ["component", "value", "weight", "points"], number_cols=("weight", "points")
            ),
            hide_index=True,
            key="customer_risk_table",
        )

st.subheader(t("customer_aging_title"))
aged = cc.call("customer_aging", customer_id=customer_id)
if aged.empty:
    st.info(common.t("customer_not_found"))
else:
    row = aged.iloc[0]
    left, right = st.columns([1, 3])
    left.metric(common.t("col_total"), cc.tile(row["total"], row["currency"]))
    left.metric(common.t("col_overdue"), cc.tile(row["overdue"], row["currency"]))
    right.plotly_chart(
        charts.aging_buckets(row.to_dict(), labels, lang, row["currency"]), key="customer_aging"
    )

tabs = st.tabs(
    [
        t("customer_invoices_title"),
        t("customer_days_late_title"),
        t("customer_payments_title"),
        t("customer_disputes_title"),
        t("customer_legal_title"),
    ]
)

with tabs[0]:
    statuses = ["open", "paid", "credit_note", "unapplied"]
    present = [s for s in statuses if s in set(invoices["status"])]
    chosen = st.multiselect(
        t("customer_status_filter"),
        present,
        default=[s for s in present if s == "open"] or present,
        format_func=lambda s: t(f"status_{s}"),
        key="customer_status",
    )
    shown = invoices[invoices["status"].isin(chosen)]
    st.dataframe(
        cc.table_for(
            "customer_invoices",
            credit_views.CUSTOMER_INVOICE_COLUMNS,
            groups={
                "money_cols": ("amount", "open_amount"),
                "date_cols": ("invoice_date", "due_date", "settle_date"),
            },
            currency=currency,
            customer_id=customer_id,
        ).loc[shown.index],
        hide_index=True,
        key="customer_invoices",
    )
    st.caption(f"{len(shown)} / {len(invoices)}")
    st.download_button(
        t("customer_export"),
        data=lambda: credit_views.frame_csv(shown, lang),
        file_name=f"factures-{customer_id}-{c.as_of.isoformat()}.csv",
        mime="text/csv",
        key="customer_export",
        on_click="ignore",
    )

with tabs[1]:
    late = cc.call("customer_days_late", customer_id=customer_id)
    summary = late["summary"] or {}
    status = late["status"] or {}
    cols = st.columns(6)
    cols[0].metric(common.t("col_count"), str(summary.get("invoices") or 0))
    cols[1].metric(t("col_days_late"), cc.days(summary.get("weighted_days_late")))
    cols[2].metric(t("col_trend"), cc.days(summary.get("trend")))
    cols[3].metric(t("customer_disputed_items"), str(status.get("disputed_items") or 0))
    cols[4].metric(
        t("customer_disputed_amount"),
        cc.tile(status.get("disputed_amount"), status.get("currency") or currency),
    )
    cols[5].metric(t("customer_doubtful"), t(f"doubtful_{status.get('doubtful_status', 'none')}"))
    left, right = st.columns(2)
    left.plotly_chart(
        credit_views.days_late_scatter(late["settled"], lang), key="customer_days_late"
    )
    right.plotly_chart(
        credit_views.days_late_bars(late["distribution"], lang), key="customer_days_dist"
    )
    if not late["by_size"].empty:
        st.caption(t("customer_by_size_title"))
        st.dataframe(
            cc.table_for(
                "customer_days_late",
                ["size", "invoices", "avg_days_late", "median_days_late", "on_time_rate"],
                part="by_size",
                groups={
                    "day_cols": ("avg_days_late", "median_days_late"),
                    "percent_cols": ("on_time_rate",),
                },
                customer_id=customer_id,
            ),
            hide_index=True,
            key="customer_by_size",
        )

with tabs[2]:
    payments = cc.call("customer_payments", customer_id=customer_id)
    if payments.empty:
        st.info(common.t("no_rows"))
    else:
        st.dataframe(
            cc.table_for(
                "customer_payments",
                credit_views.PAYMENT_COLUMNS,
                groups={"money_cols": ("amount",), "date_cols": ("payment_date",)},
                currency=currency,
                customer_id=customer_id,
            ),
            hide_index=True,
            key="customer_payments",
        )

with tabs[3]:
    disputes = cc.call("customer_disputes", customer_id=customer_id)
    if disputes.empty:
        st.info(common.t("no_rows"))
    else:
        st.dataframe(
            cc.table_for(
                "customer_disputes",
                ["invoice_id", "invoice_date", "due_date", "amount", "open_amount", "dpd"],
                groups={
                    "money_cols": ("amount", "open_amount"),
                    "date_cols": ("invoice_date", "due_date"),
                },
                currency=currency,
                customer_id=customer_id,
            ),
            hide_index=True,
            key="customer_disputes",
        )

with tabs[4]:
    legal = cc.call("customer_legal", customer_id=customer_id)
    totals = legal["totals"] or {}
    if legal["rates_missing"]:
        st.warning(t("penalties_rate_missing"))
    cols = st.columns(4)
    cols[0].metric(t("customer_penalties"), cc.tile(totals.get("penalties_open"), currency))
    cols[1].metric(
        t("customer_penalties") + " · " + t("status_paid"),
        cc.tile(totals.get("penalties_paid"), currency),
    )
    cols[2].metric(t("customer_indemnities"), cc.tile(totals.get("indemnities_open_eur"), "EUR"))
    cols[3].metric(
        t("customer_indemnities") + " · " + t("status_paid"),
        cc.tile(totals.get("indemnities_paid_eur"), "EUR"),
    )
    if not legal["late"].empty:
        st.dataframe(
            cc.table_for(
                "customer_legal",
                [
                    "invoice_id",
                    "due_date",
                    "settle_date",
                    "open_amount",
                    "days_late",
                    "penalty",
                    "indemnity_eur",
                ],
                part="late",
                rename={"days_late": "days_late_one"},
                groups={
                    "money_cols": ("open_amount", "penalty"),
                    "eur_cols": ("indemnity_eur",),
                    "date_cols": ("due_date", "settle_date"),
                },
                currency=currency,
                customer_id=customer_id,
            ),
            hide_index=True,
            key="customer_late",
        )
    st.subheader(t("customer_terms_title"))
    if legal["terms"].empty:
        st.info(common.t("no_rows"))
    else:
        st.dataframe(
            cc.table_for(
                "customer_legal",
                [
                    "invoice_id",
                    "invoice_date",
                    "due_date",
                    "terms_days",
                    "days_beyond",
                    "amount",
                    "open_amount",
                ],
                part="terms",
                groups={
                    "money_cols": ("amount", "open_amount"),
                    "date_cols": ("invoice_date", "due_date"),
                },
                currency=currency,
                customer_id=customer_id,
            ),
            hide_index=True,
            key="customer_terms",
        )
