"""Plotly figure builders: data in, ``go.Figure`` out, no I/O and no Streamlit.

Every builder takes the frames of :mod:`analytics.views` and a language; texts and number
formats follow the language (``i18n``). Traces keep the order of their inputs so that a
selected point (curve number, point index) maps back to the row and bucket behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import i18n

#: Bucket colours, not due first (green) to the oldest (dark red); doubtful last.
PALETTE = ["#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000", "#4a148c"]
LINE_COLOURS = {"dso_period": "#1f4e79", "dso_average": "#5b9bd5", "dso_countback": "#c55a11"}


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return float(value)


def _layout(fig: go.Figure, lang: str, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title=title,
        separators=", " if lang == "fr" else ".,",
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        **extra,
    )
    return fig


def _monthly_axis(fig: go.Figure, lang: str) -> go.Figure:
    fig.update_xaxes(tickformat="%m/%Y" if lang == "fr" else "%b %Y")
    return fig


def bucket_colours(labels: Sequence[str]) -> list[str]:
    """One colour per bucket label, not due first, the last bucket darkest."""
    n = len(labels)
    if n <= len(PALETTE) - 1:
        picks = [0] + [round(1 + i * (len(PALETTE) - 3) / max(n - 2, 1)) for i in range(n - 1)]
        return [PALETTE[i] for i in picks]
    return [PALETTE[min(i, len(PALETTE) - 2)] for i in range(n)]


def dso_trend(frame: pd.DataFrame, lang: str) -> go.Figure:
    """DSO over the month ends of ``views.dso_history``: period, average-balance, countback."""
    fig = go.Figure()
    for key in ("dso_period", "dso_average", "dso_countback"):
        values = [_num(v) for v in frame.get(key, [])]
        fig.add_trace(
            go.Scatter(
                x=list(frame["month_end"]),
                y=values,
                name=i18n.t(key, lang),
                mode="lines+markers",
                line={"color": LINE_COLOURS[key]},
                text=[i18n.fmt_days(v, lang) for v in values],
                hovertemplate="%{x}<br>%{text}<extra>%{fullData.name}</extra>",
            )
        )
    unit = "jours" if lang == "fr" else "days"
    return _monthly_axis(
        _layout(fig, lang, i18n.t("dso_trend_title", lang), yaxis_title=unit), lang
    )


def aging_history(frame: pd.DataFrame, labels: Sequence[str], lang: str) -> go.Figure:
    """Stacked bars of the aged balance at each month end (one trace per bucket, in order)."""
    fig = go.Figure()
    currency = frame["currency"].iloc[0] if len(frame) else None
    for label, colour in zip(labels, bucket_colours(labels), strict=True):
        values = list(frame[label]) if label in frame else []
        fig.add_trace(
            go.Bar(
                x=list(frame["month_end"]),
                y=[_num(v) for v in values],
                name=i18n.bucket_label(label, lang),
                marker_color=colour,
                text=[i18n.fmt_money(v, lang, currency) for v in values],
                hovertemplate="%{x}<br>%{text}<extra>%{fullData.name}</extra>",
                textposition="none",
            )
        )
    fig = _layout(fig, lang, i18n.t("aging_history_title", lang), barmode="stack")
    return _monthly_axis(fig, lang)


def aging_buckets(
    totals: dict[str, Any], labels: Sequence[str], lang: str, currency: str | None
) -> go.Figure:
    """One bar per bucket of the aged balance at D (``views.aged_totals``)."""
    values = [totals.get(label) for label in labels]
    fig = go.Figure(
        go.Bar(
            x=[i18n.bucket_label(label, lang) for label in labels],
            y=[_num(v) for v in values],
            marker_color=bucket_colours(labels),
            text=[i18n.fmt_money(v, lang, currency) for v in values],
            textposition="outside",
            hovertemplate="%{x}<br>%{text}<extra></extra>",
        )
    )
    return _layout(fig, lang, i18n.t("aged_by_bucket", lang), showlegend=False)


#: The bars of the DSO bridge, in order (the ``customdata`` of each bar).
BRIDGE_PARTS = ("bpdso", "add", "dso")


def dso_bridge(bpdso: float | None, add: float | None, lang: str) -> go.Figure:
    """The DSO bridge: best possible DSO plus average days delinquent gives the period DSO.

    Each bar carries its part of :data:`BRIDGE_PARTS` as ``customdata``.
    """
    total = None if bpdso is None or add is None else bpdso + add
    fig = go.Figure(
        go.Waterfall(
            x=[i18n.t("tile_bpdso", lang), i18n.t("tile_add", lang), i18n.t("tile_dso", lang)],
            customdata=list(BRIDGE_PARTS),
            measure=["absolute", "relative", "total"],
            y=[bpdso or 0.0, add or 0.0, total or 0.0],
            text=[i18n.fmt_days(v, lang) for v in (bpdso, add, total)],
            textposition="outside",
            connector={"line": {"color": "#999"}},
            increasing={"marker": {"color": "#c55a11"}},
            decreasing={"marker": {"color": "#2e7d32"}},
            totals={"marker": {"color": "#1f4e79"}},
        )
    )
    return _layout(fig, lang, i18n.t("bridge_title", lang), showlegend=False)


def pareto(frame: pd.DataFrame, lang: str, currency: str | None, limit: int = 50) -> go.Figure:
    """Pareto chart: each customer's share (bars, largest first) and the cumulative share."""
    top = frame.head(limit)
    names = [
        i18n.customer_label(n, c, with_id=False)
        for n, c in zip(top["customer_name"], top["customer_id"], strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=list(top["customer_id"]),
            y=[_num(v) for v in top["share"]],
            name=i18n.t("col_share", lang),
            marker_color="#1f4e79",
            text=[i18n.fmt_money(v, lang, currency) for v in top["balance"]],
            customdata=names,
            hovertemplate="%{customdata}<br>%{text}<extra></extra>",
            textposition="none",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=list(top["customer_id"]),
            y=[_num(v) for v in top["cum_share"]],
            name=i18n.t("col_cum_share", lang),
            mode="lines+markers",
            line={"color": "#c55a11"},
            yaxis="y2",
        )
    )
    fig.add_hline(y=0.8, line_dash="dot", line_color="#999", yref="y2")
    return _layout(
        fig,
        lang,
        i18n.t("conc_pareto", lang),
        yaxis={"tickformat": ".0%"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%"},
    )


def lorenz_customers(frame: pd.DataFrame, pareto: pd.DataFrame | None) -> list[str | None]:
    """The customer id behind each point of the Lorenz curve: None for the origin, then the
    customers in ascending order of balance.

    Point k (k >= 1) is the k-th smallest customer, that is the Pareto row of rank ``n + 1 -
    k``: ``concentration_ranked.sql`` orders the curve by balance then customer id descending,
    the exact reverse of the Pareto order. All None when ``pareto`` does not match the curve.
    """
    ids = [] if pareto is None else [str(c) for c in pareto["customer_id"]]
    if len(ids) != len(frame) - 1:
        return [None] * len(frame)
    return [None, *reversed(ids)]


def lorenz(
    frame: pd.DataFrame,
    lang: str,
    gini: float | None = None,
    pareto: pd.DataFrame | None = None,
) -> go.Figure:
    """Lorenz curve (customers sorted ascending) against the line of perfect equality.

    With the Pareto frame of the same view, each point of the curve carries its customer id
    as ``customdata`` (:func:`lorenz_customers`); the points take a selection through markers
    that are not drawn (opacity 0), so that the curve looks the same.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            name=i18n.t("conc_equality", lang),
            mode="lines",
            line={"dash": "dot", "color": "#999"},
        )
    )
    # Arrays, not lists: Plotly validates a list value by value, which costs more than the
    # whole chart on a book of ten thousand customers.
    fig.add_trace(
        go.Scatter(
            x=np.array([_num(v) for v in frame["x"]], dtype=float),
            y=np.array([_num(v) for v in frame["y"]], dtype=float),
            name=i18n.t("conc_lorenz", lang),
            mode="lines+markers",
            fill="tonexty",
            line={"color": "#1f4e79"},
            marker={"opacity": 0, "size": 10},
            customdata=np.array(lorenz_customers(frame, pareto), dtype=object),
        )
    )
    title = i18n.t("conc_lorenz", lang)
    if gini is not None:
        title += f" — Gini {i18n.fmt_number(gini, lang, 3)}"
    return _layout(
        fig,
        lang,
        title,
        xaxis={"tickformat": ".0%", "range": [0, 1]},
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )


def roll_rates(matrix: pd.DataFrame, labels: Sequence[str], lang: str) -> go.Figure:
    """Heat map of the roll-rate matrix (``views.roll_rate_matrix``): shares in percent.

    A heat map takes no selection, so a second trace puts a marker that is not drawn
    (opacity 0) on every cell, row by row, each with ``customdata`` ``[from_bucket, to]``
    (``to``: ``paid``, ``written_off`` or a bucket label) and the cell's hover text.
    """
    targets = ["paid", "written_off", *labels]
    names = {
        "paid": i18n.t("roll_paid", lang),
        "written_off": i18n.t("roll_written_off", lang),
    }
    x = [names.get(c) or i18n.bucket_label(c, lang) for c in targets]
    y = [i18n.bucket_label(b, lang) for b in matrix["from_bucket"]]
    z = [[_num(matrix.iloc[r][c]) for c in targets] for r in range(len(matrix))]
    text = [[i18n.fmt_percent(v, lang) if v is not None else "" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
        )
    )
    cells = [(r, c) for r in range(len(y)) for c in range(len(x))]
    fig.add_trace(
        go.Scatter(
            x=[x[c] for _, c in cells],
            y=[y[r] for r, _ in cells],
            customdata=[[str(matrix["from_bucket"].iloc[r]), targets[c]] for r, c in cells],
            text=[text[r][c] for r, c in cells],
            mode="markers",
            marker={"symbol": "square", "size": 20, "opacity": 0},
            hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, lang, i18n.t("roll_title", lang))


def provision(rows: Sequence[dict[str, Any]], lang: str, currency: str | None) -> go.Figure:
    """Bars of the provision per bucket of the provision simulation (``customdata``: the row's
    bucket label, or ``doubtful``)."""
    labels = [r["bucket"] for r in rows]
    values: list[Decimal] = [r["provision"] for r in rows]
    fig = go.Figure(
        go.Bar(
            x=[i18n.bucket_label(b, lang) for b in labels],
            customdata=labels,
            y=[_num(v) for v in values],
            marker_color=bucket_colours(labels),
            text=[i18n.fmt_money(v, lang, currency) for v in values],
            textposition="outside",
        )
    )
    return _layout(fig, lang, i18n.t("losses_provision_title", lang), showlegend=False)


def point_data(point: dict[str, Any] | None) -> Any:
    """The ``customdata`` of a selected point, or None."""
    if not point:
        return None
    return point.get("customdata")


def bridge_part(point: dict[str, Any] | None) -> str | None:
    """The part of :data:`BRIDGE_PARTS` of a point selected in the DSO bridge, or None."""
    part = point_data(point)
    if part in BRIDGE_PARTS:
        return str(part)
    location = point_location(point)
    if location is None or not 0 <= location[1] < len(BRIDGE_PARTS):
        return None
    return BRIDGE_PARTS[location[1]]


def point_location(point: dict[str, Any] | None) -> tuple[int, int] | None:
    """``(curve_number, point_index)`` of a selected point, or None."""
    if not point:
        return None
    curve = point.get("curve_number", 0)
    index = point.get("point_index", point.get("point_number"))
    if index is None:
        return None
    return int(curve), int(index)
