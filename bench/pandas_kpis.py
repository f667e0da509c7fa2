"""The figures of the ``kpis`` command as an analyst's pandas notebook computes them.

``python -m bench.pandas_kpis INVOICES PAYMENTS AS_OF CURRENCY`` prints one JSON object: AR,
the aged balance (not due, 1-30, 31-60, 61-90, 91-120, >120), period DSO over 90 days and the
top-10 share. It is the reference the benchmark compares the ``kpis`` command with: read_csv,
a payment total per invoice, a cut into buckets, group-bys.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

PERIOD_DAYS = 90
EDGES = [-(10**9), 0, 30, 60, 90, 120, 10**9]
LABELS = ["not_due", "1-30", "31-60", "61-90", "91-120", ">120"]


def figures(invoices: str, payments: str, as_of: str, currency: str) -> dict[str, object]:
    """AR, buckets, period DSO and top-10 share at ``as_of`` for one currency (floats)."""
    d = pd.Timestamp(as_of)
    inv = pd.read_csv(invoices, parse_dates=["invoice_date", "due_date"])
    pay = pd.read_csv(payments, parse_dates=["payment_date"])
    inv = inv[(inv["currency"] == currency) & (inv["invoice_date"] <= d)].copy()
    paid = pay[pay["payment_date"] <= d].groupby("invoice_id")["amount"].sum()
    inv["open"] = inv["amount"] - inv["invoice_id"].map(paid).fillna(0.0)
    inv["due_date"] = inv["due_date"].fillna(inv["invoice_date"] + pd.Timedelta(days=30))
    inv["dpd"] = (d - inv["due_date"]).dt.days
    inv["bucket"] = pd.cut(inv["dpd"], EDGES, labels=LABELS)
    buckets = inv.groupby("bucket", observed=False)["open"].sum()
    ar = float(inv["open"].sum())
    start = d - pd.Timedelta(days=PERIOD_DAYS)
    sales = float(inv.loc[inv["invoice_date"] > start, "amount"].sum())
    by_customer = inv.groupby("customer_id")["open"].sum()
    positive = by_customer[by_customer > 0].sort_values(ascending=False)
    total = float(positive.sum())
    return {
        "outstanding": round(ar, 2),
        "aging": {label: round(float(buckets[label]), 2) for label in LABELS},
        "dso_period": ar / sales * PERIOD_DAYS if sales > 0 else None,
        "top10_share": float(positive.head(10).sum()) / total if total > 0 else None,
    }


def main(argv: list[str] | None = None) -> int:
    invoices, payments, as_of, currency = argv if argv is not None else sys.argv[1:]
    print(json.dumps(figures(invoices, payments, as_of, currency)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
