"""Differential tests: the SQL engine against the naive pure-Python reading of kpi-spec 1-6.

Hypothesis draws small random ledgers (a few customers, up to 40 invoices and credit notes,
partial, invoice-level and customer-level payments, or settlement dates only, write-offs,
doubtful flags, collective procedures, dates around D, amounts in cents), loads each one with
the ledger factory into a real DuckDB file, and checks that every figure of analytics.asof /
aging / dso / behaviour / concentration / losses equals the one of tests.naive_reference:
money to the cent, days and ratios to 1e-9.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import aging, asof, behaviour, dso, itemcache, kpis, losses, views
from analytics import concentration as conc
from analytics.config import Filters, Settings, bucket_labels
from tests import naive_reference as ref
from tests.ledger_factory import make_ledger

#: As-of dates: month ends (countback and CEI windows stay on month ends), a leap day and a
#: mid-month date (windows clamp to shorter months).
AS_OF_DATES = (date(2024, 6, 30), date(2024, 3, 31), date(2024, 2, 29), date(2024, 5, 15))
CUSTOMERS = ("A", "B", "C", "D")
SEGMENTS = ("SME", "Large")
#: Filters drawn for a ledger: none (most of the time), one segment, one customer.
FILTER_CHOICES: tuple[dict[str, tuple[str, ...]], ...] = (
    {},
    {},
    {},
    {"segment": ("SME",)},
    {"customer_id": ("A", "B")},
)
#: Days past due at D on and around every boundary: not due, the default bucket edges, the
#: doubtful age (180) and the end of the 12-month doubtful inflow window (180 + 365).
EDGE_DPD = (0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 180, 181, 545, 546)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def close(a: float | None, b: float | None) -> bool:
    """Both None, or equal to 1e-9 (relative or absolute)."""
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


def money(cents: int) -> Decimal:
    return Decimal(cents) * CENT


@st.composite
def ledgers(draw: st.DrawFn, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """A random ledger around ``as_of`` (see the module docstring)."""
    n = draw(st.integers(min_value=0, max_value=40))
    invoices = []
    for k in range(n):
        terms = draw(st.sampled_from([None, 0, 30, 45, 60]))
        if draw(st.integers(min_value=0, max_value=2)) == 0:
            dpd = draw(st.sampled_from(EDGE_DPD))
            day = as_of - timedelta(days=dpd + (30 if terms is None else terms))
        else:
            day = as_of + timedelta(days=draw(st.integers(min_value=-420, max_value=10)))
        cents = draw(st.integers(min_value=1, max_value=500_000))
        if draw(st.integers(min_value=0, max_value=6)) == 0:
            cents = -(cents // 10 or 1)
        amount = money(cents)
        row: dict[str, Any] = {
            "invoice_id": f"I{k:02d}",
            "customer_id": draw(st.sampled_from(CUSTOMERS)),
            "invoice_date": day,
            "amount": amount,
            "due_date": None if terms is None else day + timedelta(days=terms),
        }
        if draw(st.booleans()):
            row["amount_excl_tax"] = (amount / Decimal("1.2")).quantize(CENT)
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            row["currency"] = "EUR"
        if draw(st.integers(min_value=0, max_value=7)) == 0:
            row["segment"] = draw(st.sampled_from(SEGMENTS))
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            row["doubtful"] = True
            when = draw(st.integers(min_value=0, max_value=3))
            if when == 1:
                row["doubtful_date"] = as_of + timedelta(days=draw(st.integers(0, 1)))
            elif when > 1:
                row["doubtful_date"] = day + timedelta(days=draw(st.integers(0, 400)))
        invoices.append(row)
    payments: list[dict[str, Any]] = []
    write_offs: list[dict[str, Any]] = []
    with_payments = draw(st.integers(min_value=0, max_value=4)) > 0
    for row in invoices:
        if row["amount"] <= 0:
            continue
        cents = int(row["amount"] * 100)
        due = row["due_date"] or row["invoice_date"] + timedelta(days=30)
        days_to_due = (due - row["invoice_date"]).days
        terms_days = [days_to_due, days_to_due + 1]
        if with_payments:
            choice = draw(st.sampled_from(["none", "full", "part", "two"]))
            parts = {"none": [], "full": [cents], "part": [cents // 3], "two": [cents // 2]}[choice]
            if choice == "two":
                parts.append(cents - cents // 2)
            for p in parts:
                if p > 0:
                    delay = draw(
                        st.integers(min_value=0, max_value=200) | st.sampled_from(terms_days)
                    )
                    payments.append(
                        {
                            "payment_date": row["invoice_date"] + timedelta(days=delay),
                            "amount": money(p),
                            "invoice_id": row["invoice_id"],
                        }
                    )
        elif draw(st.booleans()):
            row["settled_date"] = row["invoice_date"] + timedelta(days=draw(st.integers(0, 200)))
        if draw(st.integers(min_value=0, max_value=6)) == 0:
            w = money(draw(st.integers(min_value=1, max_value=cents)))
            write_offs.append(
                {
                    "invoice_id": row["invoice_id"],
                    "write_off_date": row["invoice_date"]
                    + timedelta(days=draw(st.integers(0, 400))),
                    "amount": w,
                    "amount_excl_tax": (w / Decimal("1.2")).quantize(CENT)
                    if draw(st.booleans())
                    else None,
                }
            )
    if with_payments:
        for _ in range(draw(st.integers(min_value=0, max_value=5))):
            payments.append(
                {
                    "payment_date": as_of + timedelta(days=draw(st.integers(-300, 5))),
                    "amount": money(draw(st.integers(1, 300_000))),
                    "customer_id": draw(st.sampled_from(CUSTOMERS)),
                }
            )
    customers = [
        {
            "customer_id": c,
            "segment": draw(st.sampled_from(SEGMENTS)),
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


@st.composite
def cases(draw: st.DrawFn) -> tuple[date, dict[str, tuple[str, ...]], dict[str, list]]:
    """(as_of, filters as the reference reads them, ledger)."""
    as_of = draw(st.sampled_from(AS_OF_DATES))
    filters = draw(st.sampled_from(FILTER_CHOICES))
    return as_of, filters, draw(ledgers(as_of))


def load(folder: Path, ledger: dict[str, list]) -> duckdb.DuckDBPyConnection:
    return make_ledger(folder / f"{uuid.uuid4().hex}.duckdb", **ledger)


_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check_open_items(con, d: date, f: Filters, fd: dict, ledger: dict) -> None:
    sql = "WITH oi AS (" + asof.open_items_sql() + ") SELECT * FROM oi"
    frame = behaviour.frame(con.execute(sql, asof.params(1, d, f)))
    got = {
        (r["invoice_id"] or ("unapplied", r["customer_id"])): r for r in frame.to_dict("records")
    }
    want = {
        (r["invoice_id"] or ("unapplied", r["customer_id"])): r
        for r in ref.open_items(ledger, d, fd)
    }
    assert set(got) == set(want)
    for key, r in want.items():
        g = got[key]
        assert (g["open_amount"], g["paid"], g["written_off"]) == (
            r["open_amount"],
            r["paid"],
            r["written_off"],
        ), key
        assert g["dpd"] == r["dpd"], key
        if r["kind"] == "invoice" and r["amount"] > 0:
            assert g["settle_date"] == r["settle_date"], key


def _check_aging_and_dso(con, d: date, f: Filters, fd: dict, ledger: dict) -> None:
    kw: dict[str, Any] = {"dataset_id": 1, "filters": f}
    items = ref.open_items(ledger, d, fd)
    assert aging.ar_and_not_due(con, d, **kw) == (ref.ar(items), ref.not_due(items))
    frame = aging.aging(con, d, **kw)
    for label, amount in ref.buckets(items).items():
        got = frame[label].iloc[0] if len(frame) else ZERO
        assert got == amount, label
    if len(frame):
        assert frame["total"].iloc[0] == ref.ar(items)
    assert close(aging.overdue_share(con, d, **kw), ref.overdue_share(items))
    # The AR at many dates in one pass (straight from the ledger unless the filter is on the
    # segment): the start of the DSO period, a month back, D itself.
    dates = [d - timedelta(days=90), d - timedelta(days=31), d]
    at_dates = views.ar_at_dates(con, dates, **kw)
    for x in dates:
        assert at_dates.get((x, "EUR"), ZERO) == ref.ar(ref.open_items(ledger, x, fd)), x
    start = d - timedelta(days=90)
    assert dso.sales(con, start, d, **kw) == ref.sales(ledger, start, d, fd)
    assert close(dso.dso_period(con, d, **kw), ref.dso_period(ledger, d, filters=fd))
    assert close(dso.dso_average(con, d, **kw), ref.dso_average(ledger, d, filters=fd))
    assert close(dso.bpdso(con, d, **kw), ref.bpdso(ledger, d, filters=fd))
    assert close(dso.add(con, d, **kw), ref.add(ledger, d, filters=fd))
    assert close(dso.cei(con, d, **kw), ref.cei(ledger, d, filters=fd))
    cb = dso.dso_countback(con, d, **kw)
    value, capped = ref.dso_countback(ledger, d, filters=fd)
    assert close(cb.value, value)
    assert cb.capped == capped


def _check_behaviour(con, d: date, f: Filters, fd: dict, ledger: dict) -> None:
    kw: dict[str, Any] = {"dataset_id": 1, "filters": f}
    got = behaviour.payment_behaviour(con, d, **kw)
    want = ref.behaviour(ledger, d, fd)
    assert (got["invoices"], got["amount"]) == (want["invoices"], want["amount"])
    for key in ("avg_days_to_pay", "weighted_days_late", "avg_days_late", "on_time_rate"):
        assert close(got[key], want[key]), key
    per = behaviour.customer_behaviour(con, d, **kw).to_dict("records")
    want_per = ref.customer_behaviour(ledger, d, fd)
    assert [r["customer_id"] for r in per] == list(want_per)
    for r in per:
        w = want_per[r["customer_id"]]
        assert (r["invoices"], r["amount"]) == (w["invoices"], w["amount"])
        for key in (
            "avg_days_to_pay",
            "weighted_days_late",
            "avg_days_late",
            "on_time_rate",
            "median_days_late",
            "p90_days_late",
            "days_late_recent",
            "days_late_prior",
            "trend",
        ):
            assert close(r[key], w[key]), (r["customer_id"], key)
    dist = behaviour.days_late_distribution(con, d, **kw)
    want_dist = ref.days_late_distribution(ledger, d, fd)
    assert list(dist["bin"]) == list(want_dist)
    for label, n, amount in zip(dist["bin"], dist["invoices"], dist["amount"], strict=True):
        assert (n, amount) == want_dist[label], label


def _check_concentration(con, d: date, f: Filters, fd: dict, ledger: dict) -> None:
    for basis in conc.BASES:
        got = conc.concentration(con, d, dataset_id=1, filters=f, basis=basis, n=2)
        want = ref.concentration(ledger, d, basis=basis, n=2, filters=fd)
        assert got["customers"] == want["customers"], basis
        assert got["customers_for_80pct"] == want["customers_for_80pct"], basis
        assert (got["total"] or ZERO) == want["total"], basis
        for key in ("top_n_share", "hhi", "effective_customers", "gini"):
            assert close(got[key], want[key]), (basis, key)


def _check_losses(con, d: date, f: Filters, fd: dict, ledger: dict) -> None:
    kw: dict[str, Any] = {"dataset_id": 1, "filters": f}
    got = losses.write_off_ratio_12m(con, d, **kw)
    want = ref.write_off_ratio_12m(ledger, d, fd)
    if got["basis"] is not None:
        assert got["basis"] == want["basis"]
    assert (got["write_offs"], got["sales"]) == (want["write_offs"], want["sales"])
    assert close(got["ratio"], want["ratio"])
    got = losses.doubtful_receivables(con, d, **kw)
    want = ref.doubtful(ledger, d, filters=fd)
    for key in ("flagged", "age_based", "total", "ar"):
        assert got[key] == want[key], key
    assert close(got["doubtful_share"], want["doubtful_share"])
    got = losses.doubtful_inflow_ratio_12m(con, d, **kw)
    want = ref.doubtful_inflow_ratio_12m(ledger, d, filters=fd)
    for key in ("flagged_inflow", "age_based_inflow", "inflow", "sales"):
        assert got[key] == want[key], key
    assert close(got["ratio"], want["ratio"])
    got = losses.provision_matrix(con, d, **kw)
    want = ref.provision(ledger, d, filters=fd)
    assert [r["bucket"] for r in got["rows"]] == [*bucket_labels(), "doubtful"]
    for row in got["rows"]:
        base, rate, prov = want["rows"][row["bucket"]]
        assert (row["base"], row["rate"], row["provision"]) == (base, rate, prov), row["bucket"]
    assert got["total"] == want["total"]


@_SETTINGS
@given(case=cases())
def test_every_figure_of_the_engine_agrees_with_the_naive_reference(tmp_path, case):
    d, fd, ledger = case
    f = Filters(**fd)
    con = load(tmp_path, ledger)
    try:
        # First straight from the ledger, then through the open-items cache a workspace uses.
        for cached in (False, True):
            if cached:
                itemcache.enable(con)
            _check_open_items(con, d, f, fd, ledger)
            _check_aging_and_dso(con, d, f, fd, ledger)
            _check_behaviour(con, d, f, fd, ledger)
            _check_concentration(con, d, f, fd, ledger)
            _check_losses(con, d, f, fd, ledger)
        assert itemcache.enabled(con)
    finally:
        con.close()


#: Overview settings drawn for a ledger: the defaults, and every setting the cached sums are
#: built for changed at once.
OVERVIEW_SETTINGS = (
    Settings(),
    Settings(
        bucket_edges=(31, 91),  # on values of EDGE_DPD, as is the doubtful age
        period_days=30,
        cei_months=1,
        top_n=2,
        doubtful_after_days=61,
        provision_rates={
            "not_due": Decimal("0"),
            "1-31": Decimal("0.1"),
            "32-91": Decimal("0.333"),
            ">91": Decimal("0.5"),
            "doubtful": Decimal("1"),
        },
        vat_rate=Decimal("0.055"),
    ),
)


@_SETTINGS
@given(case=cases(), choice=st.sampled_from(OVERVIEW_SETTINGS))
def test_the_overview_from_its_cached_sums_equals_each_familys_figures(tmp_path, case, choice):
    """A workspace computes the overview from sums kept per customer, segment, entity,
    country and currency (kpis._grain); a plain connection asks each family's function. Both
    give the same dict, legal block included, to the cent and to the last bit of every ratio."""
    d, fd, ledger = case
    f = Filters(**fd)
    con = load(tmp_path, ledger)
    try:
        plain = kpis.overview(con, d, dataset_id=1, filters=f, settings=choice)
        itemcache.enable(con)
        assert kpis._grain(con, 1, d, choice) is not None
        assert kpis.overview(con, d, dataset_id=1, filters=f, settings=choice) == plain
    finally:
        con.close()


def test_the_differential_check_notices_a_one_cent_difference(tmp_path):
    """The comparison is not vacuous: one cent more on a payment changes AR and DSO.

    Invoice 1,000.00 dated 2024-06-01, due 2024-07-01, paid 400.00 on 2024-06-15:
    AR = 600.00, sales(D-90, D] = 1,000.00, dso_period = 600 / 1,000 x 90 = 54.
    The reference run on a copy with 400.01 gives AR 599.99 and 53.9991 days.
    """
    d = date(2024, 6, 30)
    ledger: dict[str, list[dict[str, Any]]] = {
        "invoices": [
            {
                "invoice_id": "I1",
                "customer_id": "A",
                "invoice_date": date(2024, 6, 1),
                "amount": Decimal("1000.00"),
                "due_date": date(2024, 7, 1),
            }
        ],
        "payments": [
            {"payment_date": date(2024, 6, 15), "amount": Decimal("400.00"), "invoice_id": "I1"}
        ],
        "customers": [],
        "write_offs": [],
    }
    con = load(tmp_path, ledger)
    assert aging.ar(con, d, dataset_id=1) == ref.ar(ref.open_items(ledger, d)) == Decimal("600")
    assert dso.dso_period(con, d, dataset_id=1) == ref.dso_period(ledger, d) == 54.0
    shifted = {**ledger, "payments": [{**ledger["payments"][0], "amount": Decimal("400.01")}]}
    assert ref.ar(ref.open_items(shifted, d)) == Decimal("599.99")
    assert not close(dso.dso_period(con, d, dataset_id=1), ref.dso_period(shifted, d))
    con.close()
