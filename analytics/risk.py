"""Customer risk score, 0 to 100, explained component by component.

Each component has a value (measured at D), a weight (its maximum points; the weights sum to
100) and points = weight x fraction, where the fraction is the value scaled to [0, 1] by a
fixed saturation level:

=====================  ===========================================  ===================  ======
component              value                                        fraction             weight
=====================  ===========================================  ===================  ======
overdue_share          overdue / balance (aging, kpi-spec 2)        clamp(v, 0, 1)       30
oldest_dpd             max days past due of the open invoices       clamp(v / 180, 0, 1) 20
trend                  days late, last 3 months minus the 9 before  clamp(v / 30, 0, 1)  10
                       (:func:`analytics.behaviour.customer_behaviour`)
utilisation            balance / credit limit (kpi-spec 7)          clamp(v / 1.5, 0, 1) 15
disputes               disputed open amount / balance               clamp(v, 0, 1)       10
book_share             balance / sum of positive balances (same     clamp(v / 0.10,      5
                       currency)                                    0, 1)
collective_procedure   customer in a collective procedure           1 if true else 0     10
=====================  ===========================================  ===================  ======

``score = sum(points)``. An unknown value (no balance, no limit, no settled history) scores 0
points for that component and is shown as None. Every fraction is non-decreasing in its value,
so the score is monotone: more overdue never lowers it. Grain: customer x currency (customers
with an open item at D). This is a ranking aid built on the product's own KPIs, not a credit
rating; the weights are a documented convention (configurable), in the spirit of the
behavioural scores of credit-management practice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from analytics import asof, behaviour, credit, itemcache
from analytics.config import NO_FILTERS, RISK_SATURATION, RISK_WEIGHTS, Filters

COMPONENTS: tuple[str, ...] = tuple(RISK_WEIGHTS)


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weights as a dict over :data:`COMPONENTS`; they must be >= 0 and sum to 100."""
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown risk component(s): {', '.join(sorted(unknown))}")
    out = {c: float(weights.get(c, 0.0)) for c in COMPONENTS}
    if any(w < 0 for w in out.values()):
        raise ValueError("risk weights must be >= 0")
    if abs(sum(out.values()) - 100.0) > 1e-9:
        raise ValueError("risk weights must sum to 100")
    return out


def component_points(component: str, value: float | bool | None, weight: float) -> float:
    """Points of one component: ``weight x clamp(value / saturation, 0, 1)``; 0 when unknown."""
    if value is None or (not isinstance(value, bool) and pd.isna(value)):
        return 0.0
    fraction = float(value) / RISK_SATURATION[component]
    return weight * min(max(fraction, 0.0), 1.0)


def score_values(
    values: Mapping[str, float | bool | None], weights: Mapping[str, float] = RISK_WEIGHTS
) -> float:
    """Score of one set of component values: ``sum(component_points)``, in [0, 100]."""
    w = check_weights(weights)
    return sum(component_points(c, values.get(c), w[c]) for c in COMPONENTS)


def _ratio(num: Any, den: Any) -> float | None:
    if num is None or den is None or pd.isna(num) or pd.isna(den) or den <= 0:
        return None
    return float(num) / float(den)


def risk_scores(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    weights: Mapping[str, float] = RISK_WEIGHTS,
    habits: pd.DataFrame | None = None,
    limits: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Risk score per customer and currency at ``as_of``, highest first.

    Formula: ``score = sum_c weight_c x clamp(value_c / saturation_c, 0, 1)`` over the
    components of the module docstring. Units: points in [0, 100] (float). Columns:
    ``customer_id``, ``customer_name``, ``currency``, ``score``, and for each component ``c``:
    ``c_value`` (None when unknown) and ``c_points``. Null rule: an unknown component value
    gives 0 points; the score itself is always defined. Grain: customer x currency.
    ``habits`` and ``limits``: ``behaviour.customer_behaviour`` and
    ``credit.credit_by_customer`` at the same D and filters, when the caller already has them.
    Reference: module docstring; kpi-spec sections 2, 4, 7.
    """
    w = check_weights(weights)
    sql = asof.compose(
        "risk_inputs", open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False)
    )
    base = asof.query_frame(con, sql, asof.params(dataset_id, as_of, filters))
    columns = ["customer_id", "customer_name", "currency", "score"]
    columns += [f"{c}_{s}" for c in COMPONENTS for s in ("value", "points")]
    if base.empty:
        return pd.DataFrame(columns=columns)
    if habits is None:
        habits = behaviour.customer_behaviour(con, as_of, dataset_id=dataset_id, filters=filters)
    trend = dict(zip(habits["customer_id"], habits["trend"], strict=True))
    if limits is None:
        limits = credit.credit_by_customer(con, as_of, dataset_id=dataset_id, filters=filters)
    use = {
        (c, k): u
        for c, k, u in zip(
            limits["customer_id"], limits["currency"], limits["utilisation"], strict=True
        )
    }
    records = []
    for row in base.to_dict("records"):
        values: dict[str, Any] = {
            "overdue_share": _ratio(row["overdue"], row["balance"]),
            "oldest_dpd": float(max(int(row["oldest_dpd"] or 0), 0)),
            "trend": trend.get(row["customer_id"]),
            "utilisation": use.get((row["customer_id"], row["currency"])),
            "disputes": _ratio(row["disputed"], row["balance"]),
            "book_share": None if pd.isna(row["book_share"]) else float(row["book_share"]),
            "collective_procedure": bool(row["collective_procedure"]),
        }
        rec = {k: row[k] for k in ("customer_id", "customer_name", "currency")}
        total = 0.0
        for c in COMPONENTS:
            value = values[c]
            if value is not None and not isinstance(value, bool) and pd.isna(value):
                value = None
            points = component_points(c, value, w[c])
            rec[f"{c}_value"] = value
            rec[f"{c}_points"] = points
            total += points
        rec["score"] = total
        records.append(rec)
    out = pd.DataFrame(records, columns=columns)
    for c in COMPONENTS:
        out[f"{c}_value"] = out[f"{c}_value"].astype(object).where(out[f"{c}_value"].notna(), None)
    return out.sort_values(["score", "customer_id"], ascending=[False, True]).reset_index(drop=True)


def explain(
    scores: pd.DataFrame,
    customer_id: str,
    currency: str | None = None,
    weights: Mapping[str, float] = RISK_WEIGHTS,
) -> pd.DataFrame:
    """One customer's score, component by component (rows of :func:`risk_scores` output).

    Columns: ``component``, ``value``, ``weight``, ``points``, ``share`` (points / score, None
    when the score is 0); the points sum to the customer's score. ``currency`` picks the row
    when the customer has balances in several currencies. KeyError when the customer is absent.
    """
    w = check_weights(weights)
    rows = scores[scores["customer_id"] == customer_id]
    if currency is not None:
        rows = rows[rows["currency"] == currency]
    if rows.empty:
        raise KeyError(f"no risk score for customer {customer_id!r}")
    if len(rows) > 1:
        raise ValueError("the customer has several currencies: pass currency=")
    row = rows.iloc[0]
    score = float(row["score"])
    return pd.DataFrame(
        [
            {
                "component": c,
                "value": row[f"{c}_value"],
                "weight": w[c],
                "points": float(row[f"{c}_points"]),
                "share": float(row[f"{c}_points"]) / score if score > 0 else None,
            }
            for c in COMPONENTS
        ]
    )
