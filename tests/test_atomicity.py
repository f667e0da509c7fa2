"""Atomicity: a process loading a big file is killed (SIGKILL) at several points of the load;
the workspace reopens with every earlier dataset intact, no dataset is ever partial, the
parsing child does not outlive its parent, and the workspace takes new loads afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from analytics import schema
from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
STYLES = ROOT / "tests" / "data" / "styles"
EARLIER = [STYLES / "sage_fr_cp1252.csv", STYLES / "odoo_en.csv"]
HEADER = "N° facture;Code client;Raison sociale;Date facture;Date d'échéance;Montant TTC\n"

LOADER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace

    ws = Workspace(sys.argv[1])
    load_files(ws, [InputFile(Path(sys.argv[2]))], "big", progress=lambda s: print(s, flush=True))
    print("committed", flush=True)
    """
)


def ledger_csv(path: Path, n: int) -> Path:
    rows = (
        f"F{i:07d};C{i % 997:04d};Client {i % 997};{1 + i % 28:02d}/01/2026;"
        f"{1 + i % 28:02d}/03/2026;{i % 5000},{i % 100:02d}\n"
        for i in range(n)
    )
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    """300,000 invoices: about 1.5 s of parsing and 0.3 s of writing."""
    return ledger_csv(tmp_path_factory.mktemp("big") / "big.csv", 300_000)


def state_of(ws: Workspace) -> dict[int, tuple[str, int, tuple[int, Decimal | None]]]:
    """Per dataset: its name, the rows its record says were loaded, and the invoices stored
    under its id (rows, amount total)."""
    cur = ws.cursor()
    found = {}
    for d in ws.datasets():
        rows, amount = cur.execute(
            "SELECT count(*), sum(amount) FROM invoices WHERE dataset_id = ?", [d.dataset_id]
        ).fetchall()[0]
        found[d.dataset_id] = (d.name, d.rows_loaded, (rows, amount))
    return found


def stored_rows(ws: Workspace, dataset_id: int) -> int:
    cur = ws.cursor()
    total = 0
    for table in schema.TABLES:
        sql = "SELECT count(*) FROM " + table + " WHERE dataset_id = ?"
        total += cur.execute(sql, [dataset_id]).fetchall()[0][0]
    return total


def processes_under(folder: Path) -> list[int]:
    """Processes whose command line names ``folder`` (the parsing child's working folder)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path("/proc", pid, "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(folder) in cmdline:
            found.append(int(pid))
    return found


def kill_during_load(
    workspace: Path, source: Path, temp: Path, stage: str, delay: float
) -> str | None:
    """Start the loader, SIGKILL it ``delay`` s after it reports ``stage``; the last stage
    (None when the loader finished first, having committed the dataset)."""
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(workspace), str(source)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    seen = ""
    try:
        while seen != stage:
            line = proc.stdout.readline()
            assert line, f"the loader ended before {stage!r} (last: {seen!r})"
            seen = line.strip()
        time.sleep(delay)
        if proc.poll() is not None:
            return None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        rest = proc.stdout.read().split()
        proc.stdout.close()
    return rest[-1] if rest else seen


@pytest.mark.parametrize(
    ("stage", "delay"),
    [("parsing", 0.0), ("parsing", 0.7), ("writing", 0.0), ("writing", 0.1)],
    ids=["parse-start", "mid-parse", "write-start", "mid-write"],
)
def test_a_load_killed_midway_leaves_every_earlier_dataset_intact(tmp_path, big_file, stage, delay):
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        for source in EARLIER:
            load_files(ws, [InputFile(source)], bounded=False)
        before = state_of(ws)
    assert len(before) == 2

    # On a machine fast enough to finish within ``delay``, the kill comes sooner (the loader
    # committed nothing then: the workspace is restored from the copy first).
    pristine = tmp_path / "pristine.duckdb"
    shutil.copy(path, pristine)
    last = None
    for wait in (delay, delay / 4, 0.0):
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        shutil.copy(pristine, path)
        last = kill_during_load(path, big_file, tmp_path / "tmp", stage, wait)
        if last is not None:
            break
    assert last in ("parsing", "writing")

    deadline = time.monotonic() + 10
    while processes_under(tmp_path / "tmp") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_under(tmp_path / "tmp") == [], "the parsing child outlived its parent"

    with Workspace(path) as ws:
        after = state_of(ws)
        assert after == before
        for dataset_id, (_, rows_loaded, _) in after.items():
            assert stored_rows(ws, dataset_id) == rows_loaded
        again = load_files(ws, [InputFile(STYLES / "quickbooks_us.csv")], bounded=False)
        assert again.dataset_id == 3 and stored_rows(ws, 3) == again.rows_loaded


def test_an_uninterrupted_load_of_the_big_file_commits_whole(tmp_path, big_file):
    """The same loader without a kill: the 300,000 invoices are all there, so the kills above
    interrupted a load that would have succeeded. Control total: invoice i is
    (i mod 5000) + (i mod 100) / 100, so 60 x (0 + ... + 4999) + 3,000 x (0.00 + ... + 0.99)
    = 60 x 12,497,500 + 3,000 x 49.50 = 749,998,500.00."""
    path = tmp_path / "w.duckdb"
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", LOADER, str(path), str(big_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["parsing", "writing", "done", "committed"]
    with Workspace(path) as ws:
        assert state_of(ws)[1][1:] == (300_000, (300_000, Decimal("749998500.00")))
