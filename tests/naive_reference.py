"""A deliberately naive, pure-Python reading of kpi-spec sections 1 to 6.

Dicts, loops, ``Decimal``, ``Fraction`` and ``datetime.date`` only: no SQL, no pandas. The
differential tests compare the SQL engine with these functions on random ledgers, so every
function here favours the most literal reading of the specification over speed.

A ledger is a dict ``{"invoices": [...], "payments": [...], "customers": [...],
"write_offs": [...]}`` whose rows are dicts keyed by the canonical column names of
``analytics.schema``; missing keys read as NULL. Ratios are computed exactly with ``Fraction``
and returned as ``float``; money is returned as ``Decimal``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from analytics.config import (
    BUCKET_EDGES,
    CEI_MONTHS,
    COUNTBACK_MAX_WINDOWS,
    DOUBTFUL_AFTER_DAYS,
    PERIOD_DAYS,
    PROVISION_RATES,
    TOP_N,
    VAT_RATE,
    bucket_labels,
)

Row = dict[str, Any]
Ledger = dict[str, list[Row]]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TERMS_DAYS = 30
YEAR_DAYS = 365


def cents(x: Decimal | Fraction) -> Decimal:
    """Round half away from zero to the cent, exactly."""
    f = Fraction(x) * 100
    q = (2 * abs(f.numerator) + f.denominator) // (2 * f.denominator)
    return Decimal(q if f >= 0 else -q) * CENT


def months_before(d: date, k: int) -> date:
    """kpi-spec conventions: month-end stays month-end, otherwise clamp the day."""
    y, m = divmod(d.year * 12 + d.month - 1 - k, 12)
    m += 1
    last = calendar.monthrange(y, m)[1]
    if d.day == calendar.monthrange(d.year, d.month)[1]:
        return date(y, m, last)
    return date(y, m, min(d.day, last))


def _ratio(num: Fraction | Decimal, den: Fraction | Decimal) -> Fraction | None:
    den = Fraction(den)
    if den <= 0:
        return None
    return Fraction(num) / den


def _f(x: Fraction | None) -> float | None:
    return None if x is None else float(x)


# ---------------------------------------------------------------- section 1: open amounts


def _passes(row: Row, filters: dict[str, tuple[str, ...]] | None) -> bool:
    if not filters:
        return True
    for key, allowed in filters.items():
        if allowed and row.get(key) not in allowed:
            return False
    return True


def _invoice_attributes(inv: Row, cust: Row | None) -> Row:
    cust = cust or {}
    due = inv.get("due_date")
    return {
        "invoice_id": inv["invoice_id"],
        "customer_id": inv["customer_id"],
        "customer_name": inv.get("customer_name") or cust.get("customer_name"),
        "invoice_date": inv["invoice_date"],
        "due_date": due if due is not None else inv["invoice_date"] + timedelta(days=TERMS_DAYS),
        "amount": Decimal(inv["amount"]),
        "amount_excl_tax": (
            None if inv.get("amount_excl_tax") is None else Decimal(inv["amount_excl_tax"])
        ),
        "currency": inv.get("currency") or "EUR",
        "disputed": bool(inv.get("disputed") or False),
        "doubtful": bool(inv.get("doubtful") or False),
        "doubtful_date": inv.get("doubtful_date"),
        "segment": inv.get("segment") if inv.get("segment") is not None else cust.get("segment"),
        "entity": inv.get("entity"),
        "country": inv.get("country") if inv.get("country") is not None else cust.get("country"),
        "collective_procedure": bool(cust.get("collective_procedure") or False),
    }


#: Results of :func:`open_items` kept for the ledgers last asked about (a ledger is treated as
#: immutable once built); each entry holds the ledger itself so that its id cannot be reused.
_OPEN_ITEMS_CACHE: dict[tuple[int, date], tuple[Ledger, list[Row]]] = {}
_OPEN_ITEMS_CACHE_SIZE = 8


def open_items(ledger: Ledger, as_of: date, filters: dict | None = None) -> list[Row]:
    """One dict per invoice / credit note dated on or before ``as_of`` (kpi-spec section 1).

    The rows are fresh copies, filtered by ``filters`` (see :func:`_all_open_items`).
    """
    key = (id(ledger), as_of)
    hit = _OPEN_ITEMS_CACHE.get(key)
    if hit is None or hit[0] is not ledger:
        if len(_OPEN_ITEMS_CACHE) >= _OPEN_ITEMS_CACHE_SIZE:
            _OPEN_ITEMS_CACHE.pop(next(iter(_OPEN_ITEMS_CACHE)))
        hit = (ledger, _all_open_items(ledger, as_of))
        _OPEN_ITEMS_CACHE[key] = hit
    return [dict(r) for r in hit[1] if _passes(r, filters)]


def _all_open_items(ledger: Ledger, as_of: date) -> list[Row]:
    """Every open item at ``as_of``, before filters (kpi-spec section 1).

    ``open_amount = amount - paid - written_off`` as of ``as_of``. Payments naming an invoice
    go to it; payments naming only a customer fill that customer's invoices in the same
    currency with a positive remaining amount, oldest due date first (ties: invoice date, then
    invoice id), one payment after the other in date order; what is left over is returned as
    one extra row per (customer, currency) with ``invoice_id`` None, ``kind`` 'unapplied' and a
    negative open amount. Without any payment row in the ledger, an invoice is paid in full
    (net of its write-offs) from its ``settled_date`` on.

    ``settle_date`` is the date of the event (payment or write-off) that brought a positive
    invoice's open amount to zero or below, never before its invoice date.
    """
    customers = {c["customer_id"]: c for c in ledger.get("customers", [])}
    invoices = [i for i in ledger.get("invoices", []) if i["invoice_date"] <= as_of]
    payments = [p for p in ledger.get("payments", []) if p["payment_date"] <= as_of]
    has_payments = bool(ledger.get("payments"))
    rows = {
        i["invoice_id"]: _invoice_attributes(i, customers.get(i["customer_id"])) for i in invoices
    }

    # Every event that reduces an invoice, as (date, amount) pairs.
    events: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    written_off: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for w in ledger.get("write_offs", []):
        if w["write_off_date"] <= as_of and w["invoice_id"] in rows:
            written_off[w["invoice_id"]] += Decimal(w["amount"])
            events[w["invoice_id"]].append((w["write_off_date"], Decimal(w["amount"])))

    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    settled_by_date: dict[str, date] = {}
    customer_cash: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
    if has_payments:
        for p in payments:
            if p.get("invoice_id") is not None:
                if p["invoice_id"] in rows:
                    paid[p["invoice_id"]] += Decimal(p["amount"])
                    events[p["invoice_id"]].append((p["payment_date"], Decimal(p["amount"])))
            elif p.get("customer_id") is not None:
                key = (p["customer_id"], p.get("currency") or "EUR")
                customer_cash[key].append((p["payment_date"], Decimal(p["amount"])))
    else:
        settled_on = {i["invoice_id"]: i.get("settled_date") for i in invoices}
        for inv_id, r in rows.items():
            s = settled_on[inv_id]
            if s is not None and s <= as_of:
                paid[inv_id] = r["amount"] - written_off[inv_id]
                settled_by_date[inv_id] = s

    # FIFO allocation of customer-level cash, one invoice at a time, one payment at a time.
    unapplied: dict[tuple[str, str], tuple[Decimal, date]] = {}
    books: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows.values():
        books[(r["customer_id"], r["currency"])].append(r)
    for (cust_id, currency), cash in customer_cash.items():
        queue = sorted(
            books[(cust_id, currency)],
            key=lambda r: (r["due_date"], r["invoice_date"], r["invoice_id"]),
        )
        units = [[d, a] for d, a in sorted(cash)]
        for r in queue:
            need = r["amount"] - paid[r["invoice_id"]] - written_off[r["invoice_id"]]
            while need > 0 and units:
                d, a = units[0]
                take = min(a, need)
                paid[r["invoice_id"]] += take
                events[r["invoice_id"]].append((d, take))
                need -= take
                units[0][1] -= take
                if units[0][1] == 0:
                    units.pop(0)
        left = sum((a for _, a in units), ZERO)
        if left != 0:
            unapplied[(cust_id, currency)] = (left, max(d for d, _ in cash))

    out: list[Row] = []
    for inv_id, r in rows.items():
        r["paid"] = paid[inv_id]
        r["written_off"] = written_off[inv_id]
        r["open_amount"] = r["amount"] - r["paid"] - r["written_off"]
        r["dpd"] = (as_of - r["due_date"]).days
        r["settle_date"] = None
        if inv_id in settled_by_date:
            r["settle_date"] = settled_by_date[inv_id]
        elif r["amount"] > 0 and r["open_amount"] <= 0:
            running = r["amount"]
            for d, a in sorted(events[inv_id]):
                running -= a
                if running <= 0:
                    r["settle_date"] = max(d, r["invoice_date"])
                    break
        r["kind"] = "credit_note" if r["amount"] < 0 else "invoice"
        out.append(r)
    for (cust_id, currency), (left, last) in unapplied.items():
        cust = customers.get(cust_id) or {}
        out.append(
            {
                "invoice_id": None,
                "customer_id": cust_id,
                "customer_name": cust.get("customer_name"),
                "kind": "unapplied",
                "invoice_date": last,
                "due_date": None,
                "amount": ZERO,
                "amount_excl_tax": None,
                "paid": left,
                "written_off": ZERO,
                "open_amount": -left,
                "dpd": None,
                "settle_date": None,
                "currency": currency,
                "disputed": False,
                "doubtful": False,
                "doubtful_date": None,
                "segment": cust.get("segment"),
                "entity": None,
                "country": cust.get("country"),
                "collective_procedure": bool(cust.get("collective_procedure") or False),
            }
        )
    return out


# ---------------------------------------------------------------- section 2: aging


def ar(items: list[Row]) -> Decimal:
    return sum((r["open_amount"] for r in items), ZERO)


def _is_not_due(r: Row) -> bool:
    return r["dpd"] is None or r["dpd"] <= 0


def not_due(items: list[Row]) -> Decimal:
    return sum((r["open_amount"] for r in items if _is_not_due(r)), ZERO)


def bucket_of(dpd: int | None, edges: tuple[int, ...] = BUCKET_EDGES) -> str:
    labels = bucket_labels(edges)
    if dpd is None or dpd <= 0:
        return labels[0]
    for label, edge in zip(labels[1:], sorted(set(edges)), strict=False):
        if dpd <= edge:
            return label
    return labels[-1]


def buckets(items: list[Row], edges: tuple[int, ...] = BUCKET_EDGES) -> dict[str, Decimal]:
    out = {label: ZERO for label in bucket_labels(edges)}
    for r in items:
        out[bucket_of(r["dpd"], edges)] += r["open_amount"]
    return out


def overdue(items: list[Row]) -> Decimal:
    return ar(items) - not_due(items)


def overdue_share(items: list[Row]) -> float | None:
    return _f(_ratio(overdue(items), ar(items)))


# ---------------------------------------------------------------- section 3: DSO family


def sales(ledger: Ledger, a: date, b: date, filters: dict | None = None) -> Decimal:
    """Sum of amounts of invoices with a < invoice_date <= b (credit notes net)."""
    customers = {c["customer_id"]: c for c in ledger.get("customers", [])}
    total = ZERO
    for inv in ledger.get("invoices", []):
        if a < inv["invoice_date"] <= b:
            row = _invoice_attributes(inv, customers.get(inv["customer_id"]))
            if _passes(row, filters):
                total += row["amount"]
    return total


def _sales_rows(ledger: Ledger, a: date, b: date, filters: dict | None) -> list[Row]:
    customers = {c["customer_id"]: c for c in ledger.get("customers", [])}
    rows = []
    for inv in ledger.get("invoices", []):
        if a < inv["invoice_date"] <= b:
            row = _invoice_attributes(inv, customers.get(inv["customer_id"]))
            if _passes(row, filters):
                rows.append(row)
    return rows


def dso_period(ledger: Ledger, d: date, p: int = PERIOD_DAYS, filters: dict | None = None):
    s = sales(ledger, d - timedelta(days=p), d, filters)
    r = _ratio(ar(open_items(ledger, d, filters)), s)
    return _f(None if r is None else r * p)


def dso_average(ledger: Ledger, d: date, p: int = PERIOD_DAYS, filters: dict | None = None):
    s = sales(ledger, d - timedelta(days=p), d, filters)
    begin = ar(open_items(ledger, d - timedelta(days=p), filters))
    end = ar(open_items(ledger, d, filters))
    r = _ratio(Fraction(begin + end) / 2, s)
    return _f(None if r is None else r * p)


def dso_countback(
    ledger: Ledger, d: date, filters: dict | None = None, max_windows: int = COUNTBACK_MAX_WINDOWS
) -> tuple[float | None, bool]:
    """(days, capped), the algorithm of kpi-spec section 3.

    Readings shared with analytics.dso: None when the windows' sales total <= 0 (nothing to
    count back against); the walk stops as soon as nothing remains (r <= 0), so ``r <= 0`` at
    the start gives 0; ``capped`` when the windows run out with r > 0.
    """
    windows = [(months_before(d, k), months_before(d, k - 1)) for k in range(1, max_windows + 1)]
    window_sales = [Fraction(sales(ledger, lo, hi, filters)) for lo, hi in windows]
    if sum(window_sales) <= 0:
        return None, False
    r = Fraction(ar(open_items(ledger, d, filters)))
    dso = Fraction(0)
    for (lo, hi), s in zip(windows, window_sales, strict=True):
        if r <= 0:
            break
        days = (hi - lo).days
        if r >= s:
            dso += days
            r -= s
        else:
            dso += r / s * days
            r = Fraction(0)
            break
    return float(dso), r > 0


def bpdso(ledger: Ledger, d: date, p: int = PERIOD_DAYS, filters: dict | None = None):
    s = sales(ledger, d - timedelta(days=p), d, filters)
    r = _ratio(not_due(open_items(ledger, d, filters)), s)
    return _f(None if r is None else r * p)


def add(ledger: Ledger, d: date, p: int = PERIOD_DAYS, filters: dict | None = None):
    s = sales(ledger, d - timedelta(days=p), d, filters)
    items = open_items(ledger, d, filters)
    r = _ratio(ar(items) - not_due(items), s)
    return _f(None if r is None else r * p)


def cei(ledger: Ledger, d: date, n: int = CEI_MONTHS, filters: dict | None = None):
    b = months_before(d, n)
    s = Fraction(sales(ledger, b, d, filters))
    ar_b = Fraction(ar(open_items(ledger, b, filters)))
    items = open_items(ledger, d, filters)
    num = ar_b + s / n - Fraction(ar(items))
    r = _ratio(num, ar_b + s / n - Fraction(not_due(items)))
    return _f(None if r is None else r * 100)


# ---------------------------------------------------------------- section 4: behaviour


def settled_population(ledger: Ledger, d: date, filters: dict | None = None) -> list[Row]:
    """Positive invoices settled in (d - 365, d], not written off; with days to pay / late."""
    out = []
    for r in open_items(ledger, d, filters):
        s = r["settle_date"]
        if r["kind"] != "invoice" or s is None or r["written_off"] != 0:
            continue
        if d - timedelta(days=YEAR_DAYS) < s <= d:
            r = dict(r)
            r["days_to_pay"] = (s - r["invoice_date"]).days
            r["days_late"] = max(0, (s - r["due_date"]).days)
            r["on_time"] = s <= r["due_date"]
            out.append(r)
    return out


def _mean(xs: list[int]) -> Fraction | None:
    return Fraction(sum(xs), len(xs)) if xs else None


def _weighted(rows: list[Row], key: str) -> Fraction | None:
    w = sum(Fraction(r["amount"]) for r in rows)
    if not rows or w <= 0:
        return None
    return sum(Fraction(r["amount"]) * r[key] for r in rows) / w


def quantile_cont(xs: list[int], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, SQL quantile_cont)."""
    if not xs:
        return None
    xs = sorted(xs)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _behaviour_of(rows: list[Row]) -> dict[str, Any]:
    return {
        "invoices": len(rows),
        "amount": sum((r["amount"] for r in rows), ZERO),
        "avg_days_to_pay": _f(_weighted(rows, "days_to_pay")),
        "weighted_days_late": _f(_weighted(rows, "days_late")),
        "avg_days_late": _f(_mean([r["days_late"] for r in rows])),
        "on_time_rate": _f(Fraction(sum(r["on_time"] for r in rows), len(rows)) if rows else None),
    }


def behaviour(ledger: Ledger, d: date, filters: dict | None = None) -> dict[str, Any]:
    return _behaviour_of(settled_population(ledger, d, filters))


def customer_behaviour(
    ledger: Ledger, d: date, filters: dict | None = None
) -> dict[str, dict[str, Any]]:
    rows = settled_population(ledger, d, filters)
    split = months_before(d, 3)
    out = {}
    for cust in sorted({r["customer_id"] for r in rows}):
        mine = [r for r in rows if r["customer_id"] == cust]
        late = [r["days_late"] for r in mine]
        recent = _mean([r["days_late"] for r in mine if r["settle_date"] > split])
        prior = _mean([r["days_late"] for r in mine if r["settle_date"] <= split])
        res = _behaviour_of(mine)
        res["median_days_late"] = quantile_cont(late, 0.5)
        res["p90_days_late"] = quantile_cont(late, 0.9)
        res["days_late_recent"] = _f(recent)
        res["days_late_prior"] = _f(prior)
        res["trend"] = None if recent is None or prior is None else float(recent - prior)
        out[cust] = res
    return out


def days_late_distribution(
    ledger: Ledger, d: date, filters: dict | None = None, edges: tuple[int, ...] = BUCKET_EDGES
) -> dict[str, tuple[int, Decimal]]:
    labels = ["on_time", *bucket_labels(edges)[1:]]
    out = {label: (0, ZERO) for label in labels}
    for r in settled_population(ledger, d, filters):
        label = bucket_of(r["days_late"], edges)
        label = "on_time" if label == "not_due" else label
        n, a = out[label]
        out[label] = (n + 1, a + r["amount"])
    return out


# ---------------------------------------------------------------- section 5: concentration


def customer_balances(
    ledger: Ledger, d: date, basis: str = "outstanding", filters: dict | None = None
) -> dict[str, Decimal]:
    """Positive balances per customer on the chosen basis."""
    bal: dict[str, Decimal] = defaultdict(lambda: ZERO)
    if basis == "revenue":
        for r in _sales_rows(ledger, d - timedelta(days=YEAR_DAYS), d, filters):
            bal[r["customer_id"]] += r["amount"]
    else:
        for r in open_items(ledger, d, filters):
            if basis == "outstanding" or (r["dpd"] is not None and r["dpd"] > 0):
                bal[r["customer_id"]] += r["open_amount"]
    return {c: v for c, v in bal.items() if v > 0}


def concentration(
    ledger: Ledger,
    d: date,
    basis: str = "outstanding",
    n: int = TOP_N,
    filters: dict | None = None,
) -> dict[str, Any]:
    bal = customer_balances(ledger, d, basis, filters)
    if not bal:
        return {
            "customers": 0,
            "total": ZERO,
            "top_n_share": None,
            "hhi": None,
            "effective_customers": None,
            "gini": None,
            "customers_for_80pct": None,
        }
    total = sum(bal.values(), ZERO)
    shares = sorted((Fraction(v) / Fraction(total) for v in bal.values()), reverse=True)
    sum_sq = sum(s * s for s in shares)
    # Lorenz curve, ascending: X_k = k / m, Y_k = cumulative share.
    asc = sorted(shares)
    m = len(asc)
    g = Fraction(1)
    y_prev = Fraction(0)
    for s in asc:
        y = y_prev + s
        g -= Fraction(1, m) * (y + y_prev)
        y_prev = y
    cum = Fraction(0)
    k80 = None
    for k, s in enumerate(shares, start=1):
        cum += s
        if cum >= Fraction(4, 5):
            k80 = k
            break
    return {
        "customers": m,
        "total": total,
        "top_n_share": float(sum(shares[:n])),
        "hhi": float(10000 * sum_sq),
        "effective_customers": float(1 / sum_sq),
        "gini": float(g),
        "customers_for_80pct": k80,
    }


# ---------------------------------------------------------------- section 6: losses


def write_off_ratio_12m(ledger: Ledger, d: date, filters: dict | None = None) -> dict[str, Any]:
    start = d - timedelta(days=YEAR_DAYS)
    keep = {r["invoice_id"] for r in open_items(ledger, d, filters) if r["invoice_id"]}
    wos = [
        w
        for w in ledger.get("write_offs", [])
        if start < w["write_off_date"] <= d and w["invoice_id"] in keep
    ]
    sold = _sales_rows(ledger, start, d, filters)
    excl = all(w.get("amount_excl_tax") is not None for w in wos) and all(
        r["amount_excl_tax"] is not None for r in sold
    )
    if excl:
        num = sum((Decimal(w["amount_excl_tax"]) for w in wos), ZERO)
        den = sum((r["amount_excl_tax"] for r in sold), ZERO)
    else:
        num = sum((Decimal(w["amount"]) for w in wos), ZERO)
        den = sum((r["amount"] for r in sold), ZERO)
    return {
        "ratio": _f(_ratio(num, den)),
        "basis": "excl_tax" if excl else "incl_tax",
        "write_offs": num,
        "sales": den,
    }


def is_flagged(r: Row, d: date) -> bool:
    dated_ok = r["doubtful_date"] is None or r["doubtful_date"] <= d
    return (r["doubtful"] and dated_ok) or r["collective_procedure"]


def doubtful(
    ledger: Ledger, d: date, after_days: int = DOUBTFUL_AFTER_DAYS, filters: dict | None = None
) -> dict[str, Any]:
    items = open_items(ledger, d, filters)
    flagged = sum((r["open_amount"] for r in items if is_flagged(r, d)), ZERO)
    aged = sum(
        (
            r["open_amount"]
            for r in items
            if not is_flagged(r, d) and r["dpd"] is not None and r["dpd"] > after_days
        ),
        ZERO,
    )
    return {
        "flagged": flagged,
        "age_based": aged,
        "total": flagged + aged,
        "ar": ar(items),
        "doubtful_share": _f(_ratio(flagged + aged, ar(items))),
    }


def doubtful_inflow_ratio_12m(
    ledger: Ledger, d: date, after_days: int = DOUBTFUL_AFTER_DAYS, filters: dict | None = None
) -> dict[str, Any]:
    start = d - timedelta(days=YEAR_DAYS)
    wo_dates: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for w in ledger.get("write_offs", []):
        wo_dates[w["invoice_id"]].append((w["write_off_date"], Decimal(w["amount"])))
    flagged_in = aged_in = ZERO
    for r in open_items(ledger, d, filters):
        if r["invoice_id"] is None:
            continue
        if r["doubtful"] and r["doubtful_date"] is not None and r["doubtful_date"] <= d:
            event, target = r["doubtful_date"], "flagged"
        elif not is_flagged(r, d):
            event, target = r["due_date"] + timedelta(days=after_days + 1), "aged"
        else:
            continue
        if not start < event <= d:
            continue
        amount = r["open_amount"] + sum(
            (a for wd, a in wo_dates[r["invoice_id"]] if event <= wd <= d), ZERO
        )
        if target == "flagged":
            flagged_in += amount
        else:
            aged_in += amount
    den = sales(ledger, start, d, filters)
    return {
        "ratio": _f(_ratio(flagged_in + aged_in, den)),
        "flagged_inflow": flagged_in,
        "age_based_inflow": aged_in,
        "inflow": flagged_in + aged_in,
        "sales": den,
    }


def open_excl_tax(r: Row, vat_rate: Decimal = VAT_RATE) -> Decimal:
    """Open amount excluding tax, rounded half away from zero to the cent."""
    if r["amount_excl_tax"] is not None and r["amount"] != 0:
        return cents(
            Fraction(r["open_amount"]) * Fraction(r["amount_excl_tax"]) / Fraction(r["amount"])
        )
    return cents(Fraction(r["open_amount"]) / (1 + Fraction(vat_rate)))


def provision(
    ledger: Ledger,
    d: date,
    edges: tuple[int, ...] = BUCKET_EDGES,
    rates: dict[str, Decimal] | None = None,
    vat_rate: Decimal = VAT_RATE,
    filters: dict | None = None,
) -> dict[str, Any]:
    rates = dict(PROVISION_RATES if rates is None else rates)
    labels = [*bucket_labels(edges), "doubtful"]
    base = {label: ZERO for label in labels}
    for r in open_items(ledger, d, filters):
        label = "doubtful" if is_flagged(r, d) else bucket_of(r["dpd"], edges)
        base[label] += open_excl_tax(r, vat_rate)
    rows = {
        label: (base[label], rates[label], cents(base[label] * rates[label])) for label in labels
    }
    return {"rows": rows, "total": sum((p for _, _, p in rows.values()), ZERO)}


def extra_sales_needed(loss_excl_tax: Decimal, margin: Decimal) -> Decimal | None:
    if margin <= 0:
        return None
    return cents(Fraction(loss_excl_tax) / Fraction(margin))
