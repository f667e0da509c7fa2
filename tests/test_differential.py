"""Differential tests: the SQL engine against the naive pure-Python reading of kpi-spec 1-6.

Hypothesis draws small random ledgers (a few customers, up to 40 invoices and credit notes,
partial, invoice-level and customer-level payments, write-offs, dates around D), loads them
with the ledger factory into a real DuckDB file, and checks that every figure of
analytics.asof / aging / dso / behaviour / concentration / losses equals the one of
tests.naive_reference: money to the cent, days and ratios to 1e-9.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import aging, asof, behaviour, dso, losses
from analytics import concentration as conc
from tests import naive_reference as ref
from tests.ledger_factory import make_ledger

D = date(2024, 6, 30)
CUSTOMERS = ("A", "B", "C", "D")


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@st.composite
def ledgers(draw):
    n = draw(st.integers(min_value=0, max_value=40))
    invoices = []
    for k in range(n):
        day = D + timedelta(days=draw(st.integers(min_value=-420, max_value=10)))
        cents = draw(st.integers(min_value=1, max_value=500_000))
        if draw(st.integers(min_value=0, max_value=6)) == 0:
            cents = -cents // 10 or -1
        terms = draw(st.sampled_from([None, 0, 30, 45, 60]))
        amount = Decimal(cents) / 100
        row = {
            "invoice_id": f"I{k:02d}",
            "customer_id": draw(st.sampled_from(CUSTOMERS)),
            "invoice_date": day,
            "amount": amount,
            "due_date": None if terms is None else day + timedelta(days=terms),
        }
        if draw(st.booleans()):
            row["amount_excl_tax"] = (amount / Decimal("1.2")).quantize(Decimal("0.01"))
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            row["doubtful"] = True
            if draw(st.booleans()):
                row["doubtful_date"] = day + timedelta(days=draw(st.integers(0, 400)))
        invoices.append(row)
    payments, write_offs = [], []
    with_payments = draw(st.integers(min_value=0, max_value=4)) > 0
    for row in invoices:
        if row["amount"] <= 0:
            continue
        cents = int(row["amount"] * 100)
        if with_payments:
            choice = draw(st.sampled_from(["none", "full", "part", "two"]))
            parts = {"none": [], "full": [cents], "part": [cents // 3], "two": [cents // 2]}[choice]
            if choice == "two":
                parts.append(cents - cents // 2)
            for p in parts:
                if p > 0:
                    delay = draw(st.integers(min_value=0, max_value=200))
                    payments.append(
                        {
                            "payment_date": row["invoice_date"] + timedelta(days=delay),
                            "amount": Decimal(p) / 100,
                            "invoice_id": row["invoice_id"],
                        }
                    )
        elif draw(st.booleans()):
            row["settled_date"] = row["invoice_date"] + timedelta(days=draw(st.integers(0, 200)))
        if draw(st.integers(min_value=0, max_value=6)) == 0:
            w = Decimal(draw(st.integers(min_value=1, max_value=cents))) / 100
            wo_day = row["invoice_date"] + timedelta(days=draw(st.integers(0, 400)))
            write_offs.append(
                {
                    "invoice_id": row["invoice_id"],
                    "write_off_date": wo_day,
                    "amount": w,
                    "amount_excl_tax": (w / Decimal("1.2")).quantize(Decimal("0.01"))
                    if draw(st.booleans())
                    else None,
                }
            )
    if with_payments:
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            payments.append(
                {
                    "payment_date": D + timedelta(days=draw(st.integers(-300, 5))),
                    "amount": Decimal(draw(st.integers(1, 300_000))) / 100,
                    "customer_id": draw(st.sampled_from(CUSTOMERS)),
                }
            )
    customers = [
        {
            "customer_id": c,
            "segment": draw(st.sampled_from(["SME", "Large"])),
            "collective_procedure": draw(st.integers(0, 7)) == 0,
        }
        for c in CUSTOMERS
    ]
    return {
        "invoices": invoices,
        "payments": payments,
        "customers": customers,
        "write_offs": write_offs,
    }


def load(folder, ledger):
    return make_ledger(folder / f"{uuid.uuid4().hex}.duckdb", **ledger)


_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(ledger=ledgers())
def test_open_amounts_and_settle_dates_agree_with_the_naive_reference(tmp_path, ledger):
    con = load(tmp_path, ledger)
    sql = "WITH oi AS (" + asof.open_items_sql() + ") SELECT * FROM oi"
    frame = behaviour.frame(con.execute(sql, asof.params(1, D)))
    got = {
        (r["invoice_id"] or ("unapplied", r["customer_id"])): r for r in frame.to_dict("records")
    }
    want = {
        (r["invoice_id"] or ("unapplied", r["customer_id"])): r for r in ref.open_items(ledger, D)
    }
    assert set(got) == set(want)
    for key, r in want.items():
        assert got[key]["open_amount"] == r["open_amount"], key
        if r["kind"] == "invoice" and r["amount"] > 0:
            assert got[key]["settle_date"] == r["settle_date"], key


@_SETTINGS
@given(ledger=ledgers())
def test_aging_and_the_dso_family_agree_with_the_naive_reference(tmp_path, ledger):
    con = load(tmp_path, ledger)
    items = ref.open_items(ledger, D)
    assert aging.ar(con, D, dataset_id=1) == ref.ar(items)
    assert aging.not_due(con, D, dataset_id=1) == ref.not_due(items)
    frame = aging.aging(con, D, dataset_id=1)
    want = ref.buckets(items)
    for label, amount in want.items():
        got = frame[label].iloc[0] if len(frame) else Decimal("0.00")
        assert got == amount, label
    assert close(aging.overdue_share(con, D, dataset_id=1), ref.overdue_share(items))
    assert close(dso.dso_period(con, D, dataset_id=1), ref.dso_period(ledger, D))
    assert close(dso.dso_average(con, D, dataset_id=1), ref.dso_average(ledger, D))
    assert close(dso.bpdso(con, D, dataset_id=1), ref.bpdso(ledger, D))
    assert close(dso.add(con, D, dataset_id=1), ref.add(ledger, D))
    assert close(dso.cei(con, D, dataset_id=1), ref.cei(ledger, D))
    cb = dso.dso_countback(con, D, dataset_id=1)
    value, capped = ref.dso_countback(ledger, D)
    assert close(cb.value, value)
    assert cb.capped == capped


@_SETTINGS
@given(ledger=ledgers())
def test_payment_behaviour_agrees_with_the_naive_reference(tmp_path, ledger):
    con = load(tmp_path, ledger)
    got = behaviour.payment_behaviour(con, D, dataset_id=1)
    want = ref.behaviour(ledger, D)
    assert got["invoices"] == want["invoices"]
    assert got["amount"] == want["amount"]
    for key in ("avg_days_to_pay", "weighted_days_late", "avg_days_late", "on_time_rate"):
        assert close(got[key], want[key]), key
    per = behaviour.customer_behaviour(con, D, dataset_id=1).to_dict("records")
    want_per = ref.customer_behaviour(ledger, D)
    assert [r["customer_id"] for r in per] == list(want_per)
    for r in per:
        w = want_per[r["customer_id"]]
        for key in ("avg_days_late", "median_days_late", "p90_days_late", "trend"):
            assert close(r[key], w[key]), (r["customer_id"], key)


@_SETTINGS
@given(ledger=ledgers(), basis=st.sampled_from(conc.BASES))
def test_concentration_agrees_with_the_naive_reference(tmp_path, ledger, basis):
    con = load(tmp_path, ledger)
    got = conc.concentration(con, D, dataset_id=1, basis=basis, n=2)
    want = ref.concentration(ledger, D, basis=basis, n=2)
    assert got["customers"] == want["customers"]
    assert got["customers_for_80pct"] == want["customers_for_80pct"]
    for key in ("top_n_share", "hhi", "effective_customers", "gini"):
        assert close(got[key], want[key]), key


@_SETTINGS
@given(ledger=ledgers())
def test_losses_agree_with_the_naive_reference(tmp_path, ledger):
    con = load(tmp_path, ledger)
    got = losses.write_off_ratio_12m(con, D, dataset_id=1)
    want = ref.write_off_ratio_12m(ledger, D)
    if got["basis"] is not None:
        assert got["basis"] == want["basis"]
        assert (got["write_offs"], got["sales"]) == (want["write_offs"], want["sales"])
    assert close(got["ratio"], want["ratio"])
    got = losses.doubtful_receivables(con, D, dataset_id=1)
    want = ref.doubtful(ledger, D)
    for key in ("flagged", "age_based", "ar"):
        assert got[key] == want[key], key
    assert close(got["doubtful_share"], want["doubtful_share"])
    got = losses.doubtful_inflow_ratio_12m(con, D, dataset_id=1)
    want = ref.doubtful_inflow_ratio_12m(ledger, D)
    for key in ("flagged_inflow", "age_based_inflow", "sales"):
        assert got[key] == want[key], key
    assert close(got["ratio"], want["ratio"])
    got = losses.provision_matrix(con, D, dataset_id=1)
    want = ref.provision(ledger, D)
    for row in got["rows"]:
        base, rate, prov = want["rows"][row["bucket"]]
        assert (row["base"], row["provision"]) == (base, prov), row["bucket"]
    assert got["total"] == want["total"]
