"""Pollution (tests/pollution.py): a clean ledger damaged in many ways, loaded for real.

For every damaged file the outcome is either a refusal with a documented error naming the file,
or a dataset whose rows each give exactly the clean invoice of their source line, so that the
count and the sum of amounts per customer equal the clean ledger's restricted to the invoices
kept; damage that real exports show (thousands separators, cp1252, totals rows...) must keep
every invoice.
"""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from analytics.ingest import IngestError
from analytics.pipeline import InputFile, LoadError, load_files
from analytics.store import Workspace
from tests import pollution
from tests.pollution import KINDS, Polluted, clean_ledger

DOCUMENTED = (LoadError, IngestError)
SEEDS = (1, 2)


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace(tmp_path / "workspace.duckdb")
    yield w
    w.close()


def load_polluted(ws: Workspace, tmp_path: Path, seed: int, kinds: list[str], style: str):
    """Load the damaged file; returns (polluted, report or None, refusal message or None)."""
    damaged = pollution.pollute(seed, kinds, style)
    path = tmp_path / f"export_{seed}_{style}.csv"
    path.write_bytes(damaged.data)
    try:
        report = load_files(ws, [InputFile(path)], bounded=False)
    except DOCUMENTED as err:
        message = str(err)
        assert message.startswith(path.name) and "\n" not in message, message
        return damaged, None, message
    return damaged, report, None


def check_kept_rows_give_the_clean_figures(
    ws: Workspace, seed: int, damaged: Polluted, report
) -> set[int]:
    """Every loaded row is the clean invoice of its source line, each invoice at most once,
    and per customer the count and sum of amounts equal the clean ledger's over the invoices
    kept. Returns the indices of the invoices kept."""
    clean = clean_ledger(seed)
    rows = (
        ws.cursor()
        .execute(
            "SELECT line_no, invoice_id, customer_id, invoice_date, amount FROM invoices "
            "WHERE dataset_id = ? ORDER BY line_no",
            [report.dataset_id],
        )
        .fetchall()
    )
    kept: list[int] = []
    for line_no, invoice_id, customer_id, invoice_date, amount in rows:
        assert line_no in damaged.origins, f"line {line_no} loaded but holds no invoice"
        inv = clean[damaged.origins[line_no]]
        assert (invoice_id, customer_id, invoice_date, amount) == (
            inv.invoice_id,
            inv.customer_id,
            inv.invoice_date,
            inv.amount,
        ), f"line {line_no}"
        kept.append(damaged.origins[line_no])
    assert len(kept) == len(set(kept)), "an invoice was loaded twice"
    expected: dict[str, list] = defaultdict(lambda: [0, Decimal("0.00")])
    for i in kept:
        expected[clean[i].customer_id][0] += 1
        expected[clean[i].customer_id][1] += clean[i].amount
    per_customer = (
        ws.cursor()
        .execute(
            "SELECT customer_id, count(*), sum(amount) FROM invoices WHERE dataset_id = ? "
            "GROUP BY customer_id",
            [report.dataset_id],
        )
        .fetchall()
    )
    assert {c: [n, s] for c, n, s in per_customer} == dict(expected)
    [f] = report.files
    assert f.amount_loaded == sum((clean[i].amount for i in kept), Decimal("0.00"))
    assert f.rows_read == f.rows_loaded + f.rows_rejected
    rejects = ws.rejected_rows(report.dataset_id)
    assert len(rejects) == f.rows_rejected
    assert rejects["reason"].map(bool).all()
    return set(kept)


CASES = [
    (name, style, seed) for name, kind in KINDS.items() for style in kind.styles for seed in SEEDS
]


@pytest.mark.parametrize(("kind", "style", "seed"), CASES)
def test_a_damaged_export_is_refused_or_keeps_the_exact_figures_of_the_rows_it_keeps(
    ws: Workspace, tmp_path: Path, kind: str, style: str, seed: int
) -> None:
    damaged, report, refusal = load_polluted(ws, tmp_path, seed, [kind], style)
    if report is None:
        assert not damaged.all_kept, refusal
        assert ws.datasets() == []
        return
    kept = check_kept_rows_give_the_clean_figures(ws, seed, damaged, report)
    if damaged.all_kept:
        assert kept == set(range(len(clean_ledger(seed))))


@pytest.mark.parametrize("seed", range(12))
def test_several_kinds_of_damage_at_once_never_give_a_wrong_figure(
    ws: Workspace, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    style = rng.choice(("fr", "en"))
    names = [k for k, v in KINDS.items() if style in v.styles]
    kinds = rng.sample(names, rng.randint(2, 4))
    damaged, report, _ = load_polluted(ws, tmp_path, 100 + seed, kinds, style)
    if report is not None:
        check_kept_rows_give_the_clean_figures(ws, 100 + seed, damaged, report)


def test_the_clean_ledger_itself_loads_every_invoice_with_its_figures(
    ws: Workspace, tmp_path: Path
) -> None:
    for style in ("fr", "en"):
        damaged, report, refusal = load_polluted(ws, tmp_path, 7, [], style)
        assert refusal is None
        kept = check_kept_rows_give_the_clean_figures(ws, 7, damaged, report)
        assert kept == set(range(30))


def test_the_generator_is_seeded_and_each_kind_changes_the_file() -> None:
    clean = pollution.pollute(3, [], "fr").data
    for name, kind in KINDS.items():
        for style in kind.styles:
            first = pollution.pollute(3, [name], style)
            assert first == pollution.pollute(3, [name], style)
            if style == "fr":
                assert first.data != clean, name
