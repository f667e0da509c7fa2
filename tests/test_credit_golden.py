"""Golden figures of the bundled sample for the risk score, the collection worklist and the
what-if levers (issue 4), with invariants that a snapshot alone cannot give.

The bundled sample (data/sample/*.csv) is loaded once through the real pipeline into a DuckDB
workspace on disk (:func:`tests.test_golden.load_sample`). At 2026-10-31, for EUR:

- risk (:func:`analytics.risk.risk_scores`): the number of customers scored, the score
  distribution (min, median, max) and the ten highest scores with each component's value and
  points;
- worklist (:func:`analytics.credit_views.collections_view`, the collections page facade over
  :func:`analytics.worklist.worklist`): items and open amount, count and open amount per dunning
  stage, the first ten items, and the disputed items listed apart;
- what-if (:mod:`analytics.whatif`): cash released by a 5-day DSO reduction, the effect of
  moving every invoice to 45 days end of month, the effect of collecting the top-10 overdue.

The figures must equal the committed file ``tests/golden/credit_sample_2026-10-31.json``: money
as strings to the cent (exact), scores and points to 1e-4, ratios to 1e-6 (a customer's share
of the book, a small number, to 1e-8), days to 0.01.
Besides the snapshot, the tests check invariants on the same results: every score in [0, 100]
is the sum of its components, each ``weight x clamp(value / saturation, 0, 1)``; the worklist
and its stages equal plain SQL over the open items of :func:`analytics.asof.open_items_sql`;
the top-10 collection equals the ten largest overdue balances of the aging per customer; the
what-ifs agree with the committed overview golden file; and one customer's score is recomputed
by hand.

The golden file changes only when the sample or a rule changes; regenerate it with
``python -m tests.test_credit_golden`` and review the diff.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from analytics import aging, asof, behaviour, credit, credit_views, risk, schema, whatif, worklist
from analytics.config import PERIOD_DAYS, Filters
from tests.test_golden import GOLDEN, ROOT, load_sample

AS_OF = date(2026, 10, 31)
CURRENCY = "EUR"
EUR = Filters(currency=(CURRENCY,))
GOLDEN_FILE = GOLDEN / f"credit_sample_{AS_OF.isoformat()}.json"
OVERVIEW_GOLDEN_FILE = GOLDEN / f"sample_{AS_OF.isoformat()}.json"
TOP = 10
DSO_REDUCTION_DAYS = 5
TERMS_TARGET = "45eom"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: Weights and saturation levels of the risk score, as the docstring of analytics/risk.py
#: gives them: component -> (weight, saturation).
RISK_TABLE: dict[str, tuple[float, float]] = {
    "overdue_share": (30.0, 1.0),
    "oldest_dpd": (20.0, 180.0),
    "trend": (10.0, 30.0),
    "utilisation": (15.0, 1.5),
    "disputes": (10.0, 1.0),
    "book_share": (5.0, 0.10),
    "collective_procedure": (10.0, 1.0),
}
#: Dunning thresholds (days past due) and pre-reminder window of the analytics/worklist.py
#: docstring.
STAGE_FROM = {"reminder": 1, "call": 15, "formal_notice": 30, "litigation": 60}
PRE_REMINDER_DAYS = 7

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Results:
    """What the credit-management functions return on the sample at AS_OF for EUR."""

    scores: pd.DataFrame
    collections: dict[str, Any]
    cash_released: Decimal
    terms: whatif.TermsEffect
    collect: whatif.CollectEffect


def compute(con: duckdb.DuckDBPyConnection, dataset_id: int) -> Results:
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": EUR}
    return Results(
        scores=risk.risk_scores(con, AS_OF, **kw),
        collections=credit_views.collections_view(con, AS_OF, **kw),
        cash_released=whatif.cash_from_dso_reduction(DSO_REDUCTION_DAYS, con, AS_OF, **kw),
        terms=whatif.terms_change(con, AS_OF, TERMS_TARGET, **kw),
        collect=whatif.collect_top_overdue(con, AS_OF, n=TOP, **kw),
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    ws, report = load_sample(tmp_path_factory.mktemp("credit-golden") / "w.duckdb")
    con = ws.cursor()
    yield con, report.dataset_id, compute(con, report.dataset_id)
    ws.close()


def cents(value: Any) -> str | None:
    """Money as an exact string to the cent ("1234.50"); None stays None."""
    return None if value is None else str(Decimal(value).quantize(CENT))


def points(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def days(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def component_value(component: str, value: Any) -> Any:
    """A component value as the golden file holds it: None, a bool, whole days, days to 0.01
    (trend), or a ratio (to 1e-6; the share of the book to 1e-8)."""
    if value is None or (not isinstance(value, bool) and pd.isna(value)):
        return None
    if component == "collective_procedure":
        return bool(value)
    if component == "oldest_dpd":
        return int(value)
    if component == "trend":
        return days(value)
    if component == "book_share":
        return round(float(value), 8)
    return ratio(value)


def risk_figures(scores: pd.DataFrame) -> dict[str, Any]:
    values = [float(s) for s in scores["score"]]
    return {
        "customers_scored": len(scores),
        "score": {
            "min": points(min(values)),
            "median": points(statistics.median(values)),
            "max": points(max(values)),
        },
        "top": [
            {
                "customer_id": r["customer_id"],
                "customer_name": r["customer_name"],
                "score": points(r["score"]),
                "points": {c: points(r[f"{c}_points"]) for c in risk.COMPONENTS},
                "values": {c: component_value(c, r[f"{c}_value"]) for c in risk.COMPONENTS},
            }
            for r in scores.head(TOP).to_dict("records")
        ],
    }


def worklist_figures(view: dict[str, Any]) -> dict[str, Any]:
    totals = view["totals"][CURRENCY]
    stages = view["stages"]
    stages = stages[stages["currency"] == CURRENCY]
    items = view["items"]
    return {
        "items": int(totals["items"]),
        "amount": cents(totals["amount"]),
        "stages": [
            {"stage": r["stage"], "items": int(r["items"]), "amount": cents(r["amount"])}
            for r in stages.to_dict("records")
        ],
        "first": [
            {
                "rank": int(r["rank"]),
                "invoice_id": r["invoice_id"],
                "customer_id": r["customer_id"],
                "customer_name": r["customer_name"],
                "amount": cents(r["amount"]),
                "open_amount": cents(r["open_amount"]),
                "dpd": int(r["dpd"]),
                "stage": r["stage"],
                "risk_score": points(r["risk_score"]),
                "priority": days(r["priority"]),
            }
            for r in items[items["currency"] == CURRENCY].head(TOP).to_dict("records")
        ],
        "disputed": {
            "items": int(totals["disputed_items"]),
            "amount": cents(totals["disputed_amount"]),
        },
    }


def whatif_figures(res: Results) -> dict[str, Any]:
    t, c = res.terms, res.collect
    return {
        "dso_reduction": {
            "days": DSO_REDUCTION_DAYS,
            "period_days": PERIOD_DAYS,
            "cash_released": cents(res.cash_released),
        },
        "terms_45_days_end_of_month": {
            "invoices": t.invoices,
            "sales": cents(t.sales),
            "delta_days": days(t.delta_days),
            "delta_ar": cents(t.delta_ar),
            "dso_before": days(t.dso_before),
            "dso_after": days(t.dso_after),
            "open_invoices_affected": t.open_invoices_affected,
            "open_amount_affected": cents(t.open_amount_affected),
        },
        "collect_top_overdue": {
            "n": TOP,
            "customers": list(c.customers),
            "collected": cents(c.collected),
            "ar_before": cents(c.ar_before),
            "ar_after": cents(c.ar_after),
            "overdue_before": cents(c.overdue_before),
            "overdue_after": cents(c.overdue_after),
            "overdue_share_before": ratio(c.overdue_share_before),
            "overdue_share_after": ratio(c.overdue_share_after),
            "dso_before": days(c.dso_before),
            "dso_after": days(c.dso_after),
        },
    }


def figures(res: Results) -> dict[str, Any]:
    """The golden object of the sample at AS_OF, as JSON would give it back."""
    out = {
        "as_of": AS_OF.isoformat(),
        "currency": CURRENCY,
        "risk": risk_figures(res.scores),
        "worklist": worklist_figures(res.collections),
        "whatif": whatif_figures(res),
    }
    return json.loads(json.dumps(out))


def golden() -> dict[str, Any]:
    return json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))


def test_the_samples_credit_management_figures_match_the_committed_golden_file(sample):
    _, _, res = sample
    want = golden()
    got = figures(res)
    for key in ("risk", "worklist", "whatif"):
        assert got[key] == want[key], key
    assert got == want


def test_the_golden_file_describes_a_real_book():
    """Guards against a golden file of empty or undefined figures, which would confirm nothing:
    ten scored customers spread over the scale, every dunning stage populated, disputed items,
    and what-ifs that move money."""
    g = golden()
    assert g["currency"] == CURRENCY and g["as_of"] == AS_OF.isoformat()
    assert len(g["risk"]["top"]) == TOP
    assert 0 <= g["risk"]["score"]["min"] < g["risk"]["score"]["median"]
    assert g["risk"]["score"]["median"] < g["risk"]["score"]["max"] <= 100
    assert [s["stage"] for s in g["worklist"]["stages"]] == list(worklist.STAGE_ORDER)
    assert all(s["items"] > 0 for s in g["worklist"]["stages"])
    assert len(g["worklist"]["first"]) == TOP
    assert [i["rank"] for i in g["worklist"]["first"]] == list(range(1, TOP + 1))
    assert g["worklist"]["disputed"]["items"] > 0
    w = g["whatif"]
    assert Decimal(w["dso_reduction"]["cash_released"]) > 0
    assert w["terms_45_days_end_of_month"]["delta_days"] not in (None, 0)
    assert len(w["collect_top_overdue"]["customers"]) == TOP
    assert Decimal(w["collect_top_overdue"]["collected"]) > 0


def test_every_score_is_in_0_100_and_the_sum_of_its_weighted_components(sample):
    """For every scored customer and component c: ``points_c = weight_c x clamp(value_c /
    saturation_c, 0, 1)`` (0 when the value is unknown) with the table of analytics/risk.py,
    and ``score = sum(points_c)``, in [0, 100]."""
    _, _, res = sample
    scores = res.scores
    assert len(scores) > 0
    assert risk.RISK_WEIGHTS == {c: w for c, (w, _) in RISK_TABLE.items()}
    assert risk.RISK_SATURATION == {c: s for c, (_, s) in RISK_TABLE.items()}
    for row in scores.to_dict("records"):
        total = 0.0
        for c, (weight, saturation) in RISK_TABLE.items():
            value = row[f"{c}_value"]
            want = 0.0 if value is None else weight * min(max(float(value) / saturation, 0), 1)
            assert row[f"{c}_points"] == pytest.approx(want, abs=1e-9), (row["customer_id"], c)
            total += want
        assert row["score"] == pytest.approx(total, abs=1e-9), row["customer_id"]
        assert 0.0 <= row["score"] <= 100.0
    ranked = list(zip(-scores["score"], scores["customer_id"], strict=True))
    assert ranked == sorted(ranked)


def test_one_top_ten_customers_score_recomputed_by_hand(sample):
    """C00371 (Agencement Thomas & Fils; customers.csv: credit limit 10,000.00, collective
    procedure "Oui"), 8th highest score at 2026-10-31, from its inputs read with plain SQL:

    - balance 6,798.64 = nine open invoices, all past due (the latest due 12/10/2025), so
      overdue 6,798.64: overdue share 6,798.64 / 6,798.64 = 1 -> 30 x 1 = 30;
    - oldest open invoice FA2024-010770 due 19/12/2024: dpd = 365 + 316 = 681 >= 180
      -> 20 x 1 = 20;
    - trend: its last payment is dated 07/10/2025, on or before D - 365 = 31/10/2025, and the
      invoices closed since were written off (not paid), so no invoice was settled in the
      window: value unknown -> 0;
    - utilisation 6,798.64 / 10,000.00 = 0.679864 -> 15 x 0.679864 / 1.5 = 6.79864;
    - no disputed invoice: 0 / 6,798.64 = 0 -> 0;
    - book share 6,798.64 / 21,232,226.07 (sum of the positive EUR balances) = 0.000320204
      -> 5 x 0.000320204 / 0.10 = 0.0160102;
    - collective procedure -> 10.

    Score = 30 + 20 + 0 + 6.79864 + 0 + 0.0160102 + 10 = 66.8146502.
    """
    con, dataset_id, res = sample
    customer = "C00371"
    mine = Filters(currency=(CURRENCY,), customer_id=(customer,))
    items_sql = (
        "SELECT CAST(SUM(open_amount) AS DECIMAL(18,2)), "
        "CAST(SUM(open_amount) FILTER (WHERE dpd > 0) AS DECIMAL(18,2)), "
        "MAX(dpd) FILTER (WHERE open_amount > 0 AND kind = 'invoice'), "
        "CAST(COALESCE(SUM(open_amount) FILTER (WHERE disputed AND open_amount > 0), 0) "
        "AS DECIMAL(18,2)), COUNT(*) FILTER (WHERE open_amount <> 0) "
        "FROM (" + asof.open_items_sql(settle=False) + ") AS oi"
    )
    balance, overdue, oldest, disputed, n_open = con.execute(
        items_sql, asof.params(dataset_id, AS_OF, mine)
    ).fetchone()
    assert (balance, overdue, oldest, disputed, n_open) == (
        Decimal("6798.64"),
        Decimal("6798.64"),
        681,
        Decimal("0.00"),
        9,
    )
    book_sql = (
        "SELECT CAST(SUM(GREATEST(b, 0)) AS DECIMAL(18,2)) FROM (SELECT customer_id, "
        "SUM(open_amount) AS b FROM (" + asof.open_items_sql(settle=False) + ") AS oi "
        "GROUP BY customer_id) AS per_customer"
    )
    book = con.execute(book_sql, asof.params(dataset_id, AS_OF, EUR)).fetchone()[0]
    assert book == Decimal("21232226.07")
    c = schema.CUSTOMERS
    master_sql = (
        f"SELECT {c.column('credit_limit').name}, {c.column('collective_procedure').name} "
        f"FROM {c.name} WHERE dataset_id = $dataset_id AND {c.column('customer_id').name} = $c"
    )
    limit, collective = con.execute(
        master_sql, {"dataset_id": dataset_id, "c": customer}
    ).fetchone()
    assert (limit, collective) == (Decimal("10000.00"), True)
    p = schema.PAYMENTS
    last_sql = (
        f"SELECT MAX({p.column('payment_date').name}) FROM {p.name} "
        f"WHERE dataset_id = $dataset_id AND {p.column('customer_id').name} = $c"
    )
    last = con.execute(last_sql, {"dataset_id": dataset_id, "c": customer}).fetchone()[0]
    assert last == date(2025, 10, 7) <= AS_OF - timedelta(days=365)

    by_hand = 30 * 1 + 20 * 1 + 0 + 15 * 0.679864 / 1.5 + 0 + 5 * (6798.64 / 21232226.07) / 0.10
    by_hand += 10
    assert by_hand == pytest.approx(66.8146502, abs=1e-7)
    row = res.scores[res.scores["customer_id"] == customer].iloc[0]
    assert row["score"] == pytest.approx(by_hand, abs=1e-9)
    assert float(row["utilisation_value"]) == pytest.approx(float(balance / limit), abs=1e-12)
    assert float(row["book_share_value"]) == pytest.approx(float(balance / book), abs=1e-12)
    assert row["trend_value"] is None and row["collective_procedure_value"] is True
    assert customer in list(res.scores["customer_id"].head(TOP))
    assert customer in [r["customer_id"] for r in golden()["risk"]["top"]]


def worklist_population(con: duckdb.DuckDBPyConnection, dataset_id: int) -> pd.DataFrame:
    """The worklist population by plain SQL over the open items, per disputed flag and stage:
    positive open invoices with ``dpd >= -7``, staged by the documented thresholds."""
    sql = (
        "SELECT COALESCE(disputed, FALSE) AS disputed, "
        "CASE WHEN dpd >= $litigation THEN 'litigation' "
        "WHEN dpd >= $formal_notice THEN 'formal_notice' WHEN dpd >= $call THEN 'call' "
        "WHEN dpd >= $reminder THEN 'reminder' ELSE 'pre_reminder' END AS stage, "
        "COUNT(*) AS items, CAST(SUM(open_amount) AS DECIMAL(18,2)) AS amount "
        "FROM (" + asof.open_items_sql(settle=False) + ") AS oi "
        "WHERE kind = 'invoice' AND open_amount > 0 AND dpd >= -$pre_days "
        "GROUP BY ALL ORDER BY ALL"
    )
    p = {**asof.params(dataset_id, AS_OF, EUR), **STAGE_FROM, "pre_days": PRE_REMINDER_DAYS}
    return asof.query_frame(con, sql, p)


def test_the_stage_amounts_add_up_to_the_worklist_total(sample):
    _, _, res = sample
    view = res.collections
    stages = view["stages"][view["stages"]["currency"] == CURRENCY]
    totals = view["totals"][CURRENCY]
    assert sum(stages["amount"], ZERO) == totals["amount"]
    assert int(stages["items"].sum()) == totals["items"] == len(view["items"])
    assert sum(view["items"]["open_amount"], ZERO) == totals["amount"]


def test_the_worklist_equals_plain_sql_over_the_open_items(sample):
    """Worklist total = open amount of the non-disputed positive invoices overdue or due within
    7 days (the population of the analytics/worklist.py docstring), stage by stage; its overdue
    stages (reminder to litigation) = the non-disputed overdue open amount (dpd >= 1); disputed
    items apart, with the same rule."""
    con, dataset_id, res = sample
    view = res.collections
    population = worklist_population(con, dataset_id)
    chase = population[~population["disputed"]]
    disputed = population[population["disputed"]]
    totals = view["totals"][CURRENCY]
    assert totals["amount"] == sum(chase["amount"], ZERO)
    assert totals["items"] == int(chase["items"].sum())
    assert totals["disputed_amount"] == sum(disputed["amount"], ZERO)
    assert totals["disputed_items"] == int(disputed["items"].sum())
    stages = view["stages"][view["stages"]["currency"] == CURRENCY]
    got = {r["stage"]: (r["items"], r["amount"]) for r in stages.to_dict("records")}
    want = {r["stage"]: (r["items"], r["amount"]) for r in chase.to_dict("records")}
    assert got == want

    overdue_sql = (
        "SELECT CAST(SUM(open_amount) AS DECIMAL(18,2)) "
        "FROM (" + asof.open_items_sql(settle=False) + ") AS oi "
        "WHERE kind = 'invoice' AND open_amount > 0 AND dpd >= 1 "
        "AND NOT COALESCE(disputed, FALSE)"
    )
    overdue = con.execute(overdue_sql, asof.params(dataset_id, AS_OF, EUR)).fetchone()[0]
    assert sum(stages[stages["stage"] != "pre_reminder"]["amount"], ZERO) == overdue


def test_the_worklist_is_ranked_by_priority(sample):
    """Ranks 1..n in order of decreasing priority, each priority
    ``open_amount x (1 + max(dpd, 0) / 30) x (1 + risk_score / 100)``."""
    _, _, res = sample
    items = res.collections["items"]
    assert list(items["rank"]) == list(range(1, len(items) + 1))
    assert list(items["priority"]) == sorted(items["priority"], reverse=True)
    for r in items.head(TOP).to_dict("records"):
        want = float(r["open_amount"]) * (1 + max(r["dpd"], 0) / 30) * (1 + r["risk_score"] / 100)
        assert r["priority"] == pytest.approx(want, rel=1e-12)


def test_the_top_ten_collection_is_the_ten_largest_overdue_balances_of_the_aging(sample):
    """Overdue per customer = total - not_due of the aging by customer; the ten largest positive
    ones (ties by customer id) are the customers collected, and their sum the amount."""
    con, dataset_id, res = sample
    by_customer = aging.aging(con, AS_OF, dataset_id=dataset_id, filters=EUR, by="customer")
    overdue = [
        (total - not_due, customer)
        for customer, total, not_due in zip(
            by_customer["customer_id"], by_customer["total"], by_customer["not_due"], strict=True
        )
        if total - not_due > 0
    ]
    top = sorted(overdue, key=lambda t: (-t[0], t[1]))[:TOP]
    assert len(top) == TOP
    assert res.collect.customers == [customer for _, customer in top]
    assert res.collect.collected == sum((amount for amount, _ in top), ZERO)


def test_the_what_ifs_agree_with_the_overview_golden_file(sample):
    """Against tests/golden/sample_2026-10-31.json: cash released = 5 x sales_period / 90 to the
    cent; AR, overdue and period DSO before any lever are the overview's; after collecting,
    ``ar_after = AR - collected`` and ``overdue_after = overdue - collected``; the terms lever
    adds ``delta_days`` to the DSO and ``delta_ar = delta_days x sales / 90`` (to the cent)."""
    _, _, res = sample
    overview = json.loads(OVERVIEW_GOLDEN_FILE.read_text(encoding="utf-8"))
    sales = Decimal(str(overview["sales_period"]))
    assert overview["period_days"] == PERIOD_DAYS
    assert res.cash_released == (DSO_REDUCTION_DAYS * sales / PERIOD_DAYS).quantize(CENT)
    c = res.collect
    assert c.ar_before == Decimal(str(overview["outstanding"]))
    assert c.overdue_before == Decimal(str(overview["overdue"]))
    assert c.ar_after == c.ar_before - c.collected
    assert c.overdue_after == c.overdue_before - c.collected
    assert days(c.dso_before) == overview["dso_period"]
    assert days(c.dso_after) == days(float(c.ar_after / sales) * PERIOD_DAYS)
    t = res.terms
    assert days(t.dso_before) == overview["dso_period"]
    assert t.dso_after == pytest.approx(t.dso_before + t.delta_days, abs=1e-9)
    assert abs(t.delta_ar - Decimal(t.delta_days) * t.sales / PERIOD_DAYS) <= CENT


def write_golden_file() -> None:
    """Recompute the golden file from the sample (after a reviewed change of rules)."""
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws, report = load_sample(Path(tmp) / "w.duckdb")
        try:
            res = compute(ws.cursor(), report.dataset_id)
            text = json.dumps(figures(res), indent=2, ensure_ascii=False)
            GOLDEN_FILE.write_text(text + "\n", encoding="utf-8")
            print(GOLDEN_FILE.relative_to(ROOT), file=sys.stderr)
        finally:
            ws.close()


if __name__ == "__main__":
    write_golden_file()


def test_frames_passed_in_give_what_the_functions_compute_themselves(sample):
    """risk_scores, worklist and the credit readers given the frames a page already holds
    return exactly what they return when they compute those frames."""
    con, dataset_id, _ = sample
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": EUR}
    limits = credit.credit_by_customer(con, AS_OF, **kw)
    habits = behaviour.customer_behaviour(con, AS_OF, **kw)
    alone = risk.risk_scores(con, AS_OF, **kw)
    shared = risk.risk_scores(con, AS_OF, habits=habits, limits=limits, **kw)
    pd.testing.assert_frame_equal(shared, alone)
    given = worklist.worklist(con, AS_OF, scores=shared, **kw)
    computed = worklist.worklist(con, AS_OF, **kw)
    pd.testing.assert_frame_equal(given.items, computed.items)
    pd.testing.assert_frame_equal(given.disputed, computed.disputed)
    pd.testing.assert_frame_equal(
        credit.limit_breaches(con, AS_OF, by_customer=limits, **kw),
        credit.limit_breaches(con, AS_OF, **kw),
    )
    pd.testing.assert_frame_equal(
        credit.uninsured_above(con, AS_OF, by_customer=limits, **kw),
        credit.uninsured_above(con, AS_OF, **kw),
    )
    assert credit.uninsured_exposure(
        con, AS_OF, by_customer=limits, **kw
    ) == credit.uninsured_exposure(con, AS_OF, **kw)
    assert len(alone) > 100 and len(given.items) > 100
