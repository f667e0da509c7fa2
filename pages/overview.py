"""Overview (CFO): tiles with month-over-month changes, DSO trend, aged balance over time,
DSO bridge, cash released by a target DSO, the customers with the most overdue."""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics import charts, i18n, views
from analytics.config import bucket_labels
from analytics.report import cfo_report_html, cfo_report_xlsx
from pages import common

common.start_page(common.PAGE_OVERVIEW)
t = common.t
c = common.require_data()
lang = c.lang
currency = c.currency

st.title(t("overview_title"))
overview = common.call("overview_tiles")
st.caption(
    t(
        "overview_caption",
        date=i18n.fmt_date(c.as_of, lang),
        previous=i18n.fmt_date(overview["previous_date"], lang),
    )
)


def _fmt(kind: str, value: Any, digits: int = 1) -> str:
    if kind == "money":
        return i18n.fmt_money(value, lang, currency, digits=0)
    if kind == "days":
        return i18n.fmt_days(value, lang)
    if kind == "percent":
        return i18n.fmt_percent_value(value, lang)
    return i18n.fmt_percent(value, lang, digits)


def _delta(kind: str, delta: Any, digits: int = 1) -> str | None:
    if delta is None:
        return None
    if kind == "money":
        return i18n.fmt_signed(i18n.fmt_money(delta, lang, currency, digits=0), delta)
    if kind == "days":
        return i18n.fmt_signed(i18n.fmt_days(delta, lang), delta)
    if kind == "percent":
        return i18n.fmt_signed(i18n.fmt_number(delta, lang, 1), delta)
    return i18n.fmt_points(delta, lang, digits)


#: Tiles where a rise is good news (the others are better when they fall).
RISE_IS_GOOD = {"cei"}
TILE_LABELS = {
    "outstanding": "tile_outstanding",
    "overdue_share": "tile_overdue_share",
    "dso": "tile_dso",
    "bpdso": "tile_bpdso",
    "add": "tile_add",
    "cei": "tile_cei",
    "write_off_ratio": "tile_write_off_ratio",
    "top_share": "tile_top_share",
}
tiles = overview["tiles"]
for row in (tiles[:4], tiles[4:]):
    for col, tile in zip(st.columns(4), row, strict=True):
        key, kind = tile["key"], tile["kind"]
        digits = 2 if key == "write_off_ratio" else 1
        col.metric(
            t(TILE_LABELS[key]),
            _fmt(kind, tile["value"], digits),
            _delta(kind, tile["delta"], digits),
            delta_color="normal" if key in RISE_IS_GOOD or key == "outstanding" else "inverse",
            border=True,
            help=f"{i18n.fmt_date(overview['previous_date'], lang)}: {_fmt(kind, tile['previous'], digits)}",
        )

hist = common.call("dso_history")
labels = bucket_labels(tuple(c.settings.bucket_edges))
left, right = st.columns(2)
with left:
    trend_event = st.plotly_chart(
        charts.dso_trend(hist, lang),
        on_select=common.remember_selection("overview", "dso_trend"),
        selection_mode="points",
        key="dso_trend",
    )
with right:
    aging_event = st.plotly_chart(
        charts.aging_history(hist, labels, lang),
        on_select=common.remember_selection("overview", "aging_history"),
        selection_mode="points",
        key="aging_history",
    )
st.caption(t("drill_hint"))
history_drill = st.container()

left, right = st.columns(2)
with left:
    now = overview["current"]
    bridge_event = st.plotly_chart(
        charts.dso_bridge(now["bpdso"], now["add"], lang),
        on_select=common.remember_selection("overview", "dso_bridge"),
        selection_mode="points",
        key="dso_bridge",
    )
bridge_drill = st.container()
with right:
    st.subheader(t("cash_title"))
    current_dso = now["dso"]
    target = st.number_input(
        t("cash_target"),
        min_value=0.0,
        max_value=1000.0,
        value=float(round(current_dso * 0.9)) if current_dso else 45.0,
        step=1.0,
        key="cash_target",
    )
    released = common.call("cash_released_to_target", target_dso=float(target))
    if released["cash"] is None:
        st.info(t("cash_none"))
    else:
        st.metric(
            t("cash_title"),
            common.money(released["cash"]),
            label_visibility="collapsed",
        )
        st.write(
            t(
                "cash_result",
                dso=i18n.fmt_days(released["dso"], lang),
                target=i18n.fmt_days(released["target"], lang),
                cash=common.money(released["cash"]),
            )
        )


def _overdue_invoices() -> None:
    """The invoices behind the ADD bar: every overdue open item at D."""
    frame = common.call("open_invoices", bucket=views.OVERDUE)
    st.subheader(t("drill_title"))
    parts = [t("col_overdue"), i18n.fmt_date(c.as_of, lang), str(len(frame))]
    st.caption(" — ".join(i18n.escape_markdown(part) for part in parts))
    if frame.empty:
        st.info(t("no_rows"))
        return
    st.dataframe(common.invoice_table(frame), hide_index=True, key="overview_drill_table")


month_ends = list(hist["month_end"])
picked = common.last_selected_point(
    "overview",
    {"aging_history": aging_event, "dso_trend": trend_event, "dso_bridge": bridge_event},
)
if picked is not None and picked[0] == "dso_bridge":
    part = charts.bridge_part(picked[1])
    with bridge_drill:
        if part == "bpdso":
            common.drill_invoices("not_due", key="overview_drill")
        elif part == "add":
            _overdue_invoices()
        elif part == "dso":
            common.drill_invoices(None, key="overview_drill")
elif picked is not None:
    location = charts.point_location(picked[1])
    if location is not None and location[1] < len(month_ends):
        curve, index = location
        by_bucket = picked[0] == "aging_history" and curve < len(labels)
        with history_drill:
            common.drill_invoices(
                labels[curve] if by_bucket else None, at=month_ends[index], key="overview_drill"
            )

st.subheader(t("top_overdue_title"))
top = common.call("top_overdue_customers", n=10)
if top.empty:
    st.info(t("no_rows"))
else:
    head = st.columns([3, 2, 2, 1])
    for col, key in zip(
        head, ("col_customer_name", "col_overdue", "col_total", "col_share"), strict=True
    ):
        col.markdown(f"**{t(key)}**")
    for cid, name, overdue_amount, total, share in zip(
        top["customer_id"],
        top["customer_name"],
        top["overdue"],
        top["total"],
        top["overdue_share"],
        strict=True,
    ):
        cols = st.columns([3, 2, 2, 1])
        cols[0].page_link(
            common.PAGE_CUSTOMER,
            label=i18n.escape_markdown(i18n.customer_label(name, cid)),
            query_params={"customer": str(cid)},
        )
        cols[1].text(common.money(overdue_amount))
        cols[2].text(common.money(total))
        cols[3].text(i18n.fmt_percent(share, lang))

st.subheader(t("report_title"))
left, right = st.columns(2)
left.download_button(
    t("report_xlsx"),
    data=lambda: cfo_report_xlsx(common.call_for(c, "cfo_report"), lang),
    file_name=f"encours-{c.as_of.isoformat()}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="report_xlsx",
    on_click="ignore",
)
right.download_button(
    t("report_html"),
    data=lambda: cfo_report_html(common.call_for(c, "cfo_report"), lang),
    file_name=f"encours-{c.as_of.isoformat()}.html",
    mime="text/html",
    key="report_html",
    on_click="ignore",
)
