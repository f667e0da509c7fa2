"""Aged balance: per customer (not due, buckets, total), searchable and sortable, a totals row
that reconciles, drill-down to a customer's invoices, roll-rate matrix, Excel export."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, i18n, views
from analytics.config import bucket_labels
from analytics.report import aged_balance_xlsx
from pages import common

common.start_page(common.PAGE_AGED)
t = common.t
c = common.require_data()
lang = c.lang
labels = bucket_labels(tuple(c.settings.bucket_edges))

st.title(t("aged_title"))
st.caption(i18n.fmt_date(c.as_of, lang))

totals = common.call("aged_totals")
amounts = [*labels, "total", "overdue"]
table_columns = ["customer_id", "customer_name", *labels, "total"]
kinds = {"customer_id": "raw", "customer_name": "raw"}
kinds.update({col: "money" for col in [*labels, "total"]})
aged = common.outputs(
    "aged_balance",
    {
        "keys": {"columns": ["customer_id", "customer_name", *amounts], "floats": amounts},
        "table": {"columns": table_columns, "kinds": kinds},
    },
)
frame = aged["keys"]

event = st.plotly_chart(
    charts.aging_buckets(totals, labels, lang, c.currency),
    on_select=common.remember_selection("aged", "aged_buckets"),
    selection_mode="points",
    key="aged_buckets",
)
st.caption(t("drill_hint"))
bucket_drill = st.container()

search = st.text_input(t("aged_search"), key="aged_search")
sort_options = ["total", "overdue", *labels, "customer_id", "customer_name"]
left, right = st.columns([3, 1])
sort_by = left.selectbox(
    "↕",
    sort_options,
    format_func=lambda k: i18n.bucket_label(k, lang) if k in labels else t(f"col_{k}"),
    key="aged_sort",
)
descending = right.toggle("↓", value=True, key="aged_desc")

shown = frame
if search:
    needle = search.strip().lower()
    mask = shown["customer_id"].str.lower().str.contains(needle, regex=False) | shown[
        "customer_name"
    ].fillna("").str.lower().str.contains(needle, regex=False)
    shown = shown[mask]
shown = shown.sort_values(
    [sort_by, "customer_id"], ascending=[not descending, True], kind="stable", na_position="last"
)

display = aged["table"].loc[shown.index]
totals_row = {"customer_id": t("aged_totals"), "customer_name": ""}
totals_row.update({label: common.money(totals[label]) for label in labels})
totals_row["total"] = common.money(totals["total"])
display = pd.concat([display, pd.DataFrame([totals_row])], ignore_index=True)
headers = {"customer_id": t("col_customer_id"), "customer_name": t("col_customer_name")}
headers.update({label: i18n.bucket_label(label, lang) for label in labels})
headers["total"] = t("col_total")
st.dataframe(display.rename(columns=headers), hide_index=True, key="aged_table")
st.caption(t("aged_reconciles", total=common.money(totals["total"])))

customer_ids = shown["customer_id"].tolist()
names = dict(zip(frame["customer_id"].tolist(), frame["customer_name"].tolist(), strict=True))
picked = st.selectbox(
    t("aged_pick_customer"),
    [None, *customer_ids],
    format_func=lambda cid: "—" if cid is None else i18n.customer_label(names.get(cid), cid),
    key="aged_customer",
)
if picked is not None:
    st.page_link(
        common.PAGE_CUSTOMER,
        label=t("open_customer_page"),
        query_params={"customer": str(picked)},
    )
    invoices = common.call("open_invoices", customer_id=str(picked))
    st.dataframe(common.invoice_table(invoices), hide_index=True, key="aged_customer_invoices")

st.subheader(t("roll_title"))
events = {"aged_buckets": event}
matrix = common.call("roll_rate_matrix")
if matrix.empty:
    st.info(t("no_rows"))
else:
    roll_event = st.plotly_chart(
        charts.roll_rates(matrix, labels, lang),
        on_select=common.remember_selection("aged", "roll_rates"),
        selection_mode="points",
        key="roll_rates",
    )
    events["roll_rates"] = roll_event
    st.caption(t("drill_hint"))


def _roll_drill(from_bucket: str, to: str) -> None:
    """The items behind a cell of the roll-rate matrix, with the part of each that it counts."""
    items = common.call("roll_rate_invoices", from_bucket=from_bucket, to=to)
    previous, month_end = views.roll_rate_month(c.as_of)
    to_label = t(f"roll_{to}") if to in ("paid", "written_off") else i18n.bucket_label(to, lang)
    st.subheader(t("drill_title"))
    parts = [
        f"{i18n.bucket_label(from_bucket, lang)} → {to_label}",
        f"{i18n.fmt_date(previous, lang)} → {i18n.fmt_date(month_end, lang)}",
        str(len(items)),
    ]
    st.caption(" — ".join(i18n.escape_markdown(part) for part in parts))
    if items.empty:
        st.info(t("no_rows"))
        return
    after = views.INVOICE_COLUMNS.index("open_amount") + 1
    order = [*views.INVOICE_COLUMNS[:after], "cell_amount", *views.INVOICE_COLUMNS[after:]]
    shown_items = common.invoice_table(common.money_columns(items[order], ["cell_amount"]))
    st.dataframe(
        shown_items.rename(columns={"cell_amount": to_label}),
        hide_index=True,
        key="aged_roll_drill_table",
    )


picked_chart = common.last_selected_point("aged", events)
if picked_chart is not None and picked_chart[0] == "roll_rates":
    cell = charts.point_data(picked_chart[1])
    if isinstance(cell, list | tuple) and len(cell) == 2:
        _roll_drill(str(cell[0]), str(cell[1]))
elif picked_chart is not None:
    location = charts.point_location(picked_chart[1])
    if location is not None and location[1] < len(labels):
        with bucket_drill:
            common.drill_invoices(labels[location[1]], key="aged_drill_chart")


def _export() -> bytes:
    """The workbook, built when the button is clicked (every open item of the date)."""
    return aged_balance_xlsx(
        common.call_for(c, "aged_balance"),
        common.call_for(c, "open_invoices"),
        labels,
        lang,
        c.as_of,
    )


st.download_button(
    t("aged_export"),
    data=_export,
    file_name=f"balance-agee-{c.as_of.isoformat()}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="aged_export",
    on_click="ignore",
)
