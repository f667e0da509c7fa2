"""Collection worklist: what to chase today, in what order, at which dunning stage.

Items: invoices with a positive open amount at D that are overdue (``dpd >= 1``) or due within
``pre_reminder_days`` days (``-pre_reminder_days <= dpd <= 0``). Disputed items are listed apart
(they need a resolution, not a reminder).

Dunning stage reached, by days past due (thresholds configurable, :data:`DUNNING_STAGES`):
``pre_reminder`` (not yet due), ``reminder`` (from 1 day), ``call`` (from 15), ``formal_notice``
(mise en demeure, from 30), ``litigation`` (from 60).

Priority (higher first, within a currency):
``priority = open_amount x (1 + max(dpd, 0) / 30) x (1 + risk_score / 100)``; money weighs
linearly, each month overdue adds one time the amount, and the customer's risk score
(:mod:`analytics.risk`, 0-100) adds up to another time. Penalties and the indemnity claimable on
each item come from :mod:`analytics.legal_fr`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd

from analytics import asof, itemcache, legal_fr, risk
from analytics.config import (
    DUNNING_STAGES,
    NO_FILTERS,
    PRE_REMINDER_DAYS,
    PRIORITY_DAYS_SCALE,
    Filters,
)

STAGE_ORDER = ("pre_reminder", "reminder", "call", "formal_notice", "litigation")


@dataclass(frozen=True)
class Worklist:
    """``items`` to chase (ranked) and ``disputed`` items listed apart (same columns)."""

    items: pd.DataFrame
    disputed: pd.DataFrame


def _check_stages(stages: Mapping[str, int]) -> dict[str, int]:
    out = {k: int(stages[k]) for k in STAGE_ORDER[1:]}
    values = list(out.values())
    if values[0] < 1 or any(b < a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError("dunning thresholds must be >= 1 and non-decreasing")
    return out


def priority(open_amount: Decimal, dpd: int, risk_score: float) -> float:
    """``open_amount x (1 + max(dpd, 0) / 30) x (1 + risk_score / 100)`` (float)."""
    return float(open_amount) * (1 + max(dpd, 0) / PRIORITY_DAYS_SCALE) * (1 + risk_score / 100)


def worklist(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    stages: Mapping[str, int] = DUNNING_STAGES,
    pre_reminder_days: int = PRE_REMINDER_DAYS,
    rates: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
) -> Worklist:
    """The ranked collection worklist at ``as_of`` (see the module docstring).

    Columns: the invoice (``invoice_id``, ``customer_id``, ``customer_name``, ``segment``,
    ``currency``, dates, ``amount``, ``open_amount``, ``dpd``), ``stage``, ``risk_score``,
    ``priority`` (float), ``rank`` (1 = first, per currency), ``penalty`` (Decimal, in the
    invoice currency; None when the rate table does not cover the delay; 0.00 when not due or
    not eligible) and ``indemnity_eur`` (40.00 for an eligible overdue invoice, else 0.00).
    Grain: one row per open invoice. ``scores``: ``risk.risk_scores`` at the same D and
    filters, when the caller already has them. Reference: module docstring.
    """
    thresholds = _check_stages(stages)
    sql = asof.compose(
        "worklist_items", open_items=itemcache.items_sql(con, dataset_id, as_of, settle=False)
    )
    p = {**asof.params(dataset_id, as_of, filters), **thresholds}
    p["pre_days"] = int(pre_reminder_days)
    items = asof.query_frame(con, sql, p)
    if items.empty:
        empty = items.assign(risk_score=[], priority=[], rank=[], penalty=[], indemnity_eur=[])
        return Worklist(empty, empty.copy())
    if scores is None:
        scores = risk.risk_scores(con, as_of, dataset_id=dataset_id, filters=filters)
    score_of = {
        (c, k): s
        for c, k, s in zip(scores["customer_id"], scores["currency"], scores["score"], strict=True)
    }
    items["risk_score"] = [
        float(score_of.get((c, k), 0.0))
        for c, k in zip(items["customer_id"], items["currency"], strict=True)
    ]
    items["priority"] = [
        priority(a, int(d), s)
        for a, d, s in zip(items["open_amount"], items["dpd"], items["risk_score"], strict=True)
    ]
    late = legal_fr.late_invoices(
        con, as_of, dataset_id=dataset_id, filters=filters, rates=rates, open_only=True
    )
    penalty = dict(zip(late["invoice_id"], late["penalty"], strict=True))
    indemnity = dict(zip(late["invoice_id"], late["indemnity_eur"], strict=True))
    zero = Decimal("0.00")
    items["penalty"] = [penalty.get(i, zero) for i in items["invoice_id"]]
    items["indemnity_eur"] = [indemnity.get(i, zero) for i in items["invoice_id"]]
    items = items.sort_values(
        ["currency", "priority", "invoice_id"], ascending=[True, False, True], kind="stable"
    )
    disputed = items[items["disputed"]].copy()
    chase = items[~items["disputed"]].copy()
    for frame in (chase, disputed):
        frame["rank"] = frame.groupby("currency").cumcount() + 1
    return Worklist(chase.reset_index(drop=True), disputed.reset_index(drop=True))
