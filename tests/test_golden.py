"""Golden figures of the bundled sample ledger, independently confirmed.

The bundled sample (data/sample/*.csv, French Excel-style CSV) is loaded once through the real
pipeline into a DuckDB workspace on disk. At two as-of dates (the sample's end, 2026-10-31, and
2026-06-30) the ``kpis --json`` object of :func:`analytics.kpis.overview_json` for EUR must equal
the committed file ``tests/golden/sample_<D>.json``. A snapshot alone would only say the figures
did not move; so the same figures are also recomputed by the naive pure-Python reference
(tests/naive_reference.py) from the rows read back from the workspace, which confirms the
golden files independently of the SQL engine. The ``legal`` block (kpi-spec section 8) is
outside the reference and is checked against the golden file only.

The golden files change only when the sample or a rule of kpi-spec changes; regenerate them
with ``python -m tests.test_golden`` and review the diff.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics import kpis, schema
from analytics.config import COUNTBACK_MAX_WINDOWS, PERIOD_DAYS, TOP_N
from analytics.pipeline import InputFile, LoadReport, load_files
from analytics.store import Workspace
from tests import naive_reference as ref

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF_DATES = (date(2026, 10, 31), date(2026, 6, 30))
CURRENCY = "EUR"
EUR_ONLY = {"currency": (CURRENCY,)}
CENT = Decimal("0.01")

pytestmark = pytest.mark.slow


def golden_path(as_of: date) -> Path:
    return GOLDEN / f"sample_{as_of.isoformat()}.json"


def load_sample(path: Path) -> tuple[Workspace, LoadReport]:
    ws = Workspace(path)
    report = load_files(ws, [InputFile(p) for p in sorted(SAMPLE.glob("*.csv"))])
    return ws, report


def figures(ws: Workspace, report: LoadReport, as_of: date) -> dict[str, Any]:
    """The ``kpis --json`` object of the sample at ``as_of``, as JSON would give it back."""
    rows = {
        "read": report.rows_read,
        "loaded": report.rows_loaded,
        "rejected": report.rows_rejected,
    }
    out = kpis.overview_json(ws.cursor(), report.dataset_id, as_of, rows=rows, currency=CURRENCY)
    return json.loads(json.dumps(out))


def read_ledger(con: duckdb.DuckDBPyConnection, dataset_id: int) -> ref.Ledger:
    """The dataset's canonical rows as the reference reads them (dicts, NULL as None)."""
    ledger: ref.Ledger = {}
    for table in schema.TABLES.values():
        sql = "SELECT " + ", ".join(table.names) + " FROM " + table.name + " WHERE dataset_id = ?"
        cur = con.execute(sql, [dataset_id])
        ledger[table.name] = [
            {k: v for k, v in zip(table.names, row, strict=True) if v is not None}
            for row in cur.fetchall()
        ]
    return ledger


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    ws, report = load_sample(tmp_path_factory.mktemp("golden") / "w.duckdb")
    ledger = read_ledger(ws.cursor(), report.dataset_id)
    yield ws, report, ledger
    ws.close()


def money(value: Decimal | None) -> float | None:
    """Rounded as the JSON object rounds money (to the cent, half even)."""
    return None if value is None else float(Decimal(value).quantize(CENT, ROUND_HALF_EVEN))


def days(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def reference_figures(ledger: ref.Ledger, d: date) -> dict[str, Any]:
    """The figures of the JSON object that kpi-spec sections 1-6 define, by the reference.

    Rounded like the JSON object: money to the cent, days to 0.01, ratios to 1e-6.
    """
    items = ref.open_items(ledger, d, EUR_ONLY)
    documents = [r for r in items if r["kind"] != "unapplied"]
    balances: dict[str, Decimal] = {}
    for r in items:
        balances[r["customer_id"]] = balances.get(r["customer_id"], ref.ZERO) + r["open_amount"]
    buckets = ref.buckets(items)
    counts = {label: 0 for label in buckets}
    for r in items:
        if r["open_amount"] != 0:
            counts[ref.bucket_of(r["dpd"])] += 1
    outstanding, not_due = ref.ar(items), ref.not_due(items)
    pay = ref.behaviour(ledger, d, EUR_ONLY)
    conc = ref.concentration(ledger, d, n=TOP_N, filters=EUR_ONLY)
    doubt = ref.doubtful(ledger, d, filters=EUR_ONLY)
    countback, _ = ref.dso_countback(ledger, d, EUR_ONLY, COUNTBACK_MAX_WINDOWS)
    return {
        "as_of": d.isoformat(),
        "currency": CURRENCY,
        "invoices": len(documents),
        "customers_with_balance": sum(1 for v in balances.values() if v > 0),
        "outstanding": money(outstanding),
        "not_due": money(not_due),
        "overdue": money(outstanding - not_due),
        "overdue_share": ratio(ref.overdue_share(items)),
        "aging": [
            {"bucket": label, "amount": money(amount), "count": counts[label]}
            for label, amount in buckets.items()
        ],
        "sales_period": money(ref.sales(ledger, d - ref.timedelta(days=PERIOD_DAYS), d, EUR_ONLY)),
        "period_days": PERIOD_DAYS,
        "dso_period": days(ref.dso_period(ledger, d, filters=EUR_ONLY)),
        "dso_average": days(ref.dso_average(ledger, d, filters=EUR_ONLY)),
        "dso_countback": days(countback),
        "bpdso": days(ref.bpdso(ledger, d, filters=EUR_ONLY)),
        "add": days(ref.add(ledger, d, filters=EUR_ONLY)),
        "cei": days(ref.cei(ledger, d, filters=EUR_ONLY)),
        "payment": {
            "avg_days_to_pay": days(pay["avg_days_to_pay"]),
            "weighted_days_late": days(pay["weighted_days_late"]),
            "avg_days_late": days(pay["avg_days_late"]),
            "on_time_rate": ratio(pay["on_time_rate"]),
        },
        "concentration": {
            "top10_share": ratio(conc["top_n_share"]),
            "hhi": days(conc["hhi"]),
            "effective_customers": days(conc["effective_customers"]),
            "gini": ratio(conc["gini"]),
            "customers_for_80pct": conc["customers_for_80pct"],
        },
        "losses": {
            "write_off_ratio_12m": ratio(ref.write_off_ratio_12m(ledger, d, EUR_ONLY)["ratio"]),
            "doubtful": money(doubt["total"]),
            "doubtful_share": ratio(doubt["doubtful_share"]),
            "provision": money(ref.provision(ledger, d, filters=EUR_ONLY)["total"]),
        },
    }


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_the_samples_kpis_match_the_committed_golden_file(sample, as_of):
    ws, report, _ = sample
    want = json.loads(golden_path(as_of).read_text(encoding="utf-8"))
    assert figures(ws, report, as_of) == want


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_the_golden_file_is_confirmed_by_the_naive_reference(sample, as_of):
    """Every figure of sections 1-6 of the golden file, recomputed from the stored rows."""
    _, _, ledger = sample
    golden = json.loads(golden_path(as_of).read_text(encoding="utf-8"))
    want = reference_figures(ledger, as_of)
    got = {key: golden[key] for key in want}
    for key, value in want.items():
        assert got[key] == value, key


def test_the_golden_files_describe_a_real_book(sample):
    """Guards against a golden file of empty or undefined figures, which would confirm nothing.

    At 2026-10-31 the EUR book has open receivables, overdue buckets, sales in the period, a
    defined DSO and settled invoices; every bucket adds up to the outstanding amount.
    """
    for as_of in AS_OF_DATES:
        g = json.loads(golden_path(as_of).read_text(encoding="utf-8"))
        assert g["currency"] == CURRENCY
        assert g["rows"]["read"] == g["rows"]["loaded"] + g["rows"]["rejected"]
        assert g["outstanding"] > 0 and g["sales_period"] > 0
        assert g["dso_period"] is not None and g["dso_countback"] is not None
        assert g["payment"]["avg_days_to_pay"] is not None
        assert g["concentration"]["customers_for_80pct"] > 1
        assert g["losses"]["provision"] > 0
        total = sum(Decimal(str(b["amount"])) for b in g["aging"])
        assert total == Decimal(str(g["outstanding"]))
        assert sum(1 for b in g["aging"][1:] if b["amount"] != 0) == len(g["aging"]) - 1


def write_golden_files() -> None:
    """Recompute the golden files from the sample (after a reviewed change of rules)."""
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws, report = load_sample(Path(tmp) / "w.duckdb")
        try:
            for as_of in AS_OF_DATES:
                text = json.dumps(figures(ws, report, as_of), indent=2, ensure_ascii=False)
                golden_path(as_of).write_text(text + "\n", encoding="utf-8")
                print(golden_path(as_of).relative_to(ROOT), file=sys.stderr)
        finally:
            ws.close()


if __name__ == "__main__":
    write_golden_files()


def test_the_sample_gives_the_golden_figures_under_a_small_memory_limit(tmp_path, monkeypatch):
    """ENCOURS_MEMORY_LIMIT bounds DuckDB in the workspace and in the parsing child; under
    128 MiB the sample loads and its figures are those of the golden file."""
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "128MiB")
    ws, report = load_sample(tmp_path / "w.duckdb")
    try:
        limit = ws.cursor().execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit == "128.0 MiB"
        d = AS_OF_DATES[0]
        assert figures(ws, report, d) == json.loads(golden_path(d).read_text())
    finally:
        ws.close()
