"""Plotly figure builders (analytics/charts.py): traces, order, values, language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from analytics import charts
from analytics.config import bucket_labels

LABELS = bucket_labels()


def history_frame() -> pd.DataFrame:
    rows = []
    for i, m in enumerate([date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30)]):
        row = {"month_end": m, "currency": "EUR", "ar": Decimal(600 + i)}
        row.update({label: Decimal(100 + i) for label in LABELS})
        row.update(dso_period=50.0 + i, dso_average=None if i == 0 else 48.0, dso_countback=52.0)
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_dso_trend_has_the_three_methods_with_their_values():
    fig = charts.dso_trend(history_frame(), "en")
    assert [tr.name for tr in fig.data] == ["Period DSO", "Average-balance DSO", "Countback DSO"]
    assert list(fig.data[0].y) == [50.0, 51.0, 52.0]
    assert fig.data[1].y[0] is None


def test_the_aged_balance_over_time_is_stacked_one_trace_per_bucket_in_order():
    fig = charts.aging_history(history_frame(), LABELS, "fr")
    assert fig.layout.barmode == "stack"
    assert [tr.name for tr in fig.data][0] == "Non échu"
    assert len(fig.data) == len(LABELS)
    assert list(fig.data[-1].y) == [100.0, 101.0, 102.0]


def test_french_figures_use_a_decimal_comma():
    assert charts.dso_trend(history_frame(), "fr").layout.separators == ", "
    assert charts.dso_trend(history_frame(), "en").layout.separators == ".,"


def test_the_bucket_bars_show_the_totals_of_each_bucket():
    totals = {label: Decimal(i) for i, label in enumerate(LABELS)}
    fig = charts.aging_buckets(totals, LABELS, "en", "EUR")
    assert list(fig.data[0].y) == [float(i) for i in range(len(LABELS))]
    assert fig.data[0].text[1] == "€1.00"


def test_the_dso_bridge_adds_delinquency_to_the_best_possible_dso():
    fig = charts.dso_bridge(50.0, 20.0, "en")
    assert list(fig.data[0].measure) == ["absolute", "relative", "total"]
    assert list(fig.data[0].y) == [50.0, 20.0, 70.0]


def test_the_pareto_chart_keeps_the_customers_largest_first():
    frame = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "customer_name": ["<b>x</b>", None],
            "balance": [Decimal("75"), Decimal("25")],
            "share": [0.75, 0.25],
            "cum_share": [0.75, 1.0],
        }
    )
    fig = charts.pareto(frame, "fr", "EUR")
    assert list(fig.data[0].x) == ["A", "B"]
    assert list(fig.data[1].y) == [0.75, 1.0]
    assert list(fig.data[0].customdata) == ["<b>x</b>", "B"]


def test_the_lorenz_curve_is_drawn_against_the_line_of_equality():
    fig = charts.lorenz(pd.DataFrame({"x": [0, 0.5, 1], "y": [0, 0.2, 1]}), "en", 0.3)
    assert list(fig.data[0].y) == [0, 1]
    assert list(fig.data[1].y) == [0, 0.2, 1]
    assert "Gini 0.300" in fig.layout.title.text


def test_the_roll_rate_heat_map_holds_the_shares():
    matrix = pd.DataFrame(
        [
            {
                "from_bucket": "not_due",
                "from_amount": Decimal(10),
                "paid": 0.4,
                "written_off": 0.0,
                **{label: (0.6 if label == "1-30" else 0.0) for label in LABELS},
            }
        ]
    )
    fig = charts.roll_rates(matrix, LABELS, "en")
    assert fig.data[0].z[0][0] == 0.4
    assert fig.data[0].x[0] == "Paid"


def test_bucket_colours_run_from_green_to_dark_red():
    colours = charts.bucket_colours(LABELS)
    assert colours[0] == charts.PALETTE[0]
    assert colours[-1] == charts.PALETTE[5]
    assert len(set(colours)) == len(LABELS)


def test_a_selected_point_maps_back_to_its_curve_and_index():
    assert charts.point_location({"curve_number": 2, "point_index": 5}) == (2, 5)
    assert charts.point_location({"point_number": 1}) == (0, 1)
    assert charts.point_location(None) is None


def test_each_bar_of_the_dso_bridge_names_its_part():
    fig = charts.dso_bridge(50.0, 20.0, "en")
    assert list(fig.data[0].customdata) == ["bpdso", "add", "dso"]
    assert charts.bridge_part({"curve_number": 0, "point_index": 1, "customdata": "add"}) == "add"
    assert charts.bridge_part({"curve_number": 0, "point_index": 2}) == "dso"
    assert charts.bridge_part({"curve_number": 0, "point_index": 3}) is None


def test_each_point_of_the_lorenz_curve_names_its_customer_smallest_first():
    """Pareto A 75, B 20, C 5 (largest first): the curve's points after the origin are the
    customers in ascending order, C, B, A. The markers are not drawn."""
    pareto = pd.DataFrame({"customer_id": ["A", "B", "C"]})
    curve = pd.DataFrame({"x": [0, 1 / 3, 2 / 3, 1], "y": [0, 0.05, 0.25, 1]})
    fig = charts.lorenz(curve, "en", 0.5, pareto)
    assert list(fig.data[1].customdata) == [None, "C", "B", "A"]
    assert fig.data[1].marker.opacity == 0
    assert list(fig.data[1].y) == [0, 0.05, 0.25, 1]
    assert charts.lorenz_customers(curve, pareto.head(2)) == [None] * 4
    assert charts.point_data({"customdata": "B"}) == "B"
    assert charts.point_data(None) is None


def test_each_cell_of_the_roll_rate_heat_map_takes_a_selection_naming_its_move():
    """Two rows (not due, 1-30) by 2 + 6 destinations: 16 markers, row by row."""
    rows = []
    for bucket in ("not_due", "1-30"):
        row = {"from_bucket": bucket, "from_amount": Decimal(10), "paid": 0.5, "written_off": 0}
        row.update({label: 0.5 if label == "31-60" else 0.0 for label in LABELS})
        rows.append(row)
    fig = charts.roll_rates(pd.DataFrame(rows), LABELS, "en")
    cells = fig.data[1]
    targets = ["paid", "written_off", *LABELS]
    assert len(cells.x) == 2 * len(targets)
    assert [list(c) for c in cells.customdata[: len(targets)]] == [["not_due", t] for t in targets]
    assert list(cells.customdata[len(targets) + 3]) == ["1-30", LABELS[1]]
    assert cells.x[len(targets) + 3] == fig.data[0].x[3]
    assert cells.y[len(targets) + 3] == fig.data[0].y[1]
    assert cells.text[0] == fig.data[0].text[0][0]
    assert cells.marker.opacity == 0
    assert cells.showlegend is False


def test_each_bar_of_the_provision_chart_names_its_row():
    rows = [
        {"bucket": label, "provision": Decimal(i)} for i, label in enumerate([*LABELS, "doubtful"])
    ]
    fig = charts.provision(rows, "en", "EUR")
    assert list(fig.data[0].customdata) == [*LABELS, "doubtful"]
