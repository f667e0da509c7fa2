"""Smoke test of the benchmark (``make bench``) at a tiny scale, so that it cannot rot."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb
import pytest

import bench.__main__ as bench_main
from bench.__main__ import main, render
from bench.pages import app_pages


def test_the_benchmark_runs_at_a_tiny_scale_and_writes_both_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENCOURS_MEMORY_LIMIT", raising=False)  # restored after the test
    data, out = tmp_path / "data", tmp_path / "out"
    dirs = ["--data-dir", str(data), "--out-dir", str(out)]
    assert main(["--scales", "500", "--runs", "1", "--page-scales", "500", *dirs]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["runs"] == 1 and doc["machine"]["cpus"] >= 1
    (r,) = doc["results"]
    assert r["invoices"] == 500 and r["rows"]["invoices"] == 500
    for key, field in (
        ("ingest_csv", "ratio"),
        ("ingest_parquet", "ratio"),
        ("overview", "ratio"),
        ("overview", "ratio_cold"),
        ("overview", "legal_warm_s"),
        ("overview", "ratio_core"),
        ("overview", "ratio_core_cold"),
        ("kpis_command", "speedup"),
    ):
        assert r[key][field] > 0
    assert r["peak_rss"] > 10 * 2**20
    assert r["kpis_command"]["kpis_peak_rss"] > 10 * 2**20
    assert r["peak_disk"] >= 0 and r["kpis_command"]["kpis_peak_disk"] >= 0
    assert r["measured_at"].endswith("UTC")
    (pages,) = doc["pages"]
    assert pages["invoices"] == 500
    assert [p["page"] for p in pages["results"]] == app_pages()
    assert all(p["cold_s"] > 0 and len(p["warm_runs_s"]) == 1 for p in pages["results"])
    text = (out / "RESULTS.md").read_text()
    assert text == render(doc)
    assert "| 500 | " in text and "CPUs" in text and "DuckDB" in text
    assert "## f. Page reruns" in text and "| aged_balance | " in text
    assert (data / "500" / "csv" / ".complete").exists()

    assert not list(out.glob("*.partial"))

    # A run with --keep measures 500 again (its new row replaces the kept one) and carries over
    # the kept row of a scale it does not measure (400 here, stamped by an earlier run).
    earlier = {**doc, "results": [{**r, "invoices": 400, "run": "earlier"}, r]}
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps(earlier))
    again = tmp_path / "again"
    args = ["--scales", "500", "--runs", "1", "--data-dir", str(data), "--out-dir", str(again)]
    # It runs under a DuckDB memory limit, which every child inherits and the row records.
    limited = ["--memory-limit", "256MiB"]
    assert main([*args, "--keep", str(kept), "--page-scales", "none", *limited]) == 0
    merged = json.loads((again / "results.json").read_text())
    assert [x["invoices"] for x in merged["results"]] == [400, 500]
    assert merged["results"][0]["run"] == "earlier"
    assert merged["results"][1]["run"] != r["run"]
    assert merged["results"][1]["memory_limit"] == "256MiB"
    assert r["memory_limit"] is None
    assert merged["pages"] == doc["pages"]
    text = (again / "RESULTS.md").read_text()
    assert "| 400 | " in text and "another run (`--keep`)" in text
    assert text.count("DuckDB memory limit 256MiB") == 1
    # The limit was the run's: the tests after this one (same process) are unlimited again.
    assert "ENCOURS_MEMORY_LIMIT" not in os.environ


def test_a_memory_limit_that_is_not_a_size_stops_the_benchmark_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENCOURS_MEMORY_LIMIT", raising=False)
    with pytest.raises(SystemExit, match="--memory-limit: ENCOURS_MEMORY_LIMIT='lots'"):
        main(["--memory-limit", "lots", "--out-dir", str(tmp_path), "--page-scales", "none"])
    assert "ENCOURS_MEMORY_LIMIT" not in os.environ  # the children of later runs are unlimited
    # A limit set before the run is the one left after it.
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "1GB")
    with pytest.raises(SystemExit, match="--memory-limit: ENCOURS_MEMORY_LIMIT='lots'"):
        main(["--memory-limit", "lots", "--out-dir", str(tmp_path), "--page-scales", "none"])
    assert os.environ["ENCOURS_MEMORY_LIMIT"] == "1GB"


def test_a_report_written_before_any_scale_is_measured_renders_its_pages_alone() -> None:
    """The reports are rewritten after each step; the first step may be the sample's pages."""
    page = {"page": "pages/overview.py", "query": {}, "cold_s": 1.5, "warm_median_s": 0.31}
    doc = {
        "command": "python -m bench",
        "runs": 3,
        "as_of": "2026-10-31",
        "machine": {
            "cpus": 2,
            "memory_bytes": 2**34,
            "platform": "p",
            "python": "3",
            "duckdb": "2",
            "pandas": "3",
        },
        "results": [],
        "pages": [
            {
                "title": "bundled sample",
                "invoices": None,
                "results": [page],
                "peak_rss": 2**28,
                "measured_at": "2026-11-23 20:00 UTC",
                "commit": "abc1234",
            },
        ],
    }
    text = render(doc)
    assert "| overview | 1.50 s | 310 ms (over) |" in text
    assert "bundled sample 2026-11-23 20:00 UTC, abc1234, peak memory 256 MiB" in text


def test_a_reference_that_runs_out_of_memory_under_its_cap_is_reported_as_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a scale pandas cannot hold (100M invoices need several times this machine's memory),
    the reference fails with a memory error under its address-space cap; the comparison keeps
    the kpis command's figures, gives no speed-up and says why."""
    cap = 2**30
    monkeypatch.setattr(bench_main, "_pandas_address_space", lambda: cap)
    ok = [sys.executable, "-c", "pass"]
    greedy = [sys.executable, "-c", "block = bytearray(2 * 2**30)"]  # 2 GiB under a 1 GiB cap
    out = bench_main.compare_commands(ok, greedy, runs=2)
    assert out["pandas_address_space"] == cap
    assert len(out["runs_kpis_s"]) == 2 and out["kpis_s"] > 0 and out["kpis_peak_rss"] > 0
    assert "MemoryError" in out["pandas_error"] and out["pandas_failed_after_s"] > 0
    assert "speedup" not in out and "pandas_s" not in out
    # Without the cap the same allocation succeeds: the failure is the cap's.
    monkeypatch.setattr(bench_main, "_pandas_address_space", lambda: None)
    assert "speedup" in bench_main.compare_commands(ok, greedy, runs=1)
    # The report's row: the kpis figure, "failed after" for pandas, no speed-up, the reason.
    row = {"invoices": 100_000_000, "kpis_command": out}
    lines = bench_main._render_commands([row])
    assert any(line.startswith("| 100,000,000 | ") and "| failed after " in line for line in lines)
    assert any("| - | " in line for line in lines if line.startswith("| 100,000,000"))
    assert any(line.startswith("- Failed at 100,000,000, pandas: MemoryError") for line in lines)
    assert any("capped at 1.00 GiB (75% of the machine's memory)" in line for line in lines)


def test_a_scale_that_stops_keeps_its_finished_sections_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long scale saves each section as it ends: when a later one fails (here the Parquet
    invoices lack their amount column, so loading them is refused), the row keeps the CSV
    ingest, has no later section, and the report says where and why it stopped."""
    monkeypatch.delenv("ENCOURS_MEMORY_LIMIT", raising=False)
    data = tmp_path / "data"
    parquet = bench_main.ledger(data, 500, "parquet")["invoices"]
    bench_main.ledger(data, 500, "csv")
    with duckdb.connect() as con:
        frame = con.sql(
            "SELECT * EXCLUDE (amount) FROM read_parquet($p)", params={"p": str(parquet)}
        )
        frame.write_parquet(str(tmp_path / "no_amount.parquet"))
    (tmp_path / "no_amount.parquet").replace(parquet)
    row = bench_main.run_scale(500, data, runs=1)
    assert row["ingest_csv"]["ratio"] > 0 and row["rows"]["invoices"] == 500
    assert "ingest_parquet" not in row and "overview" not in row and "kpis_command" not in row
    assert "amount" in row["error"] and row["scale_wall_s"] > 0
    assert row["peak_rss"] is None and row["peak_disk"] is None
    doc = {
        "command": "python -m bench",
        "runs": 1,
        "as_of": "2026-10-31",
        "machine": bench_main.machine(),
        "results": [row],
        "pages": [],
    }
    text = render(doc)
    assert f"- Stopped at 500: {row['error']}" in text
    per_million = row["ingest_csv"]["load_files_s"] / sum(row["rows"].values()) * 1e6
    assert f"| 500 | - | - | {per_million:.2f} s | - | - | " in text
    assert "| 500 | 500 |" not in text  # no ingest row without both formats


def test_a_failure_is_reported_by_the_line_that_names_it() -> None:
    """DuckDB follows an out-of-memory error with advice; the report keeps the error."""
    error = (
        "python -m analytics kpis --invoices... failed (2): invoices.csv: invoices, 10 rows read\n"
        "error: unexpected OutOfMemoryException: Out of Memory Error: could not allocate\n\n"
        "Possible solutions:\n* Reducing the number of threads (SET threads=X)\n\n"
        "See also https://duckdb.org/docs/current/guides/performance/how_to_tune_workloads\n"
    )
    assert bench_main._error_line(error) == (
        "error: unexpected OutOfMemoryException: Out of Memory Error: could not allocate"
    )
    assert bench_main._error_line("Traceback...\n  x = 1\nMemoryError\n") == "MemoryError"
    assert bench_main._error_line("killed\n") == "killed"
    assert len(bench_main._error_line("Error " + "x" * 300)) == 200


def test_a_row_names_its_commit_dirty_only_when_code_differs_from_it(tmp_path, monkeypatch):
    """Rewriting the benchmark's own reports between two scales (``--keep``) does not mark
    the next scale's row as measured on changed code; changing any other tracked file does."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "bench" / "out").mkdir(parents=True)
    for name in ("bench/RESULTS.md", "bench/results.json", "bench/out/RESULTS.md", "app.py"):
        (tmp_path / name).write_text("1\n")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "x")
    monkeypatch.setattr(bench_main, "BENCH_DIR", tmp_path / "bench")
    head = bench_main._commit()
    assert head and len(head) == 7 and not head.endswith("-dirty")
    for name in ("bench/RESULTS.md", "bench/results.json", "bench/out/RESULTS.md"):
        (tmp_path / name).write_text("2\n")
    assert bench_main._commit() == head
    (tmp_path / "app.py").write_text("2\n")
    assert bench_main._commit() == head + "-dirty"


def test_the_peak_disk_of_a_child_counts_what_it_wrote_and_removed(tmp_path: Path) -> None:
    """The child writes 64 MiB, syncs, waits 0.5 s and removes them: the peak counts them
    (at least 48 MiB, leaving room for other processes removing files meanwhile) although
    the disk is back to where it was."""
    target = tmp_path / "spill.bin"
    code = (
        "import os, sys, time\n"
        "with open(sys.argv[1], 'wb') as f:\n"
        "    f.write(os.urandom(64 * 2**20)); f.flush(); os.fsync(f.fileno())\n"
        "time.sleep(0.5)\n"
        "os.remove(sys.argv[1])\n"
    )
    elapsed, peak_rss, peak_disk = bench_main._child(
        [sys.executable, "-c", code, str(target)], disk=[tmp_path]
    )
    assert not target.exists()
    assert elapsed >= 0.5 and peak_rss > 0
    assert peak_disk >= 48 * 2**20


def test_the_floor_measures_its_four_figures_and_its_one_pass_types_as_the_staging(
    tmp_path: Path,
) -> None:
    """``bench.floor`` at 500 invoices: every figure measured, and its one-pass statements
    give the rows the staging gives (so the floor times the same typing and checks), but for
    the due dates the staging imputes afterwards, a step the floor leaves out."""
    from analytics import pipeline
    from bench import floor

    data = tmp_path / "data"
    r = floor.measure(500, data, runs=1)
    for key in ("bare_s", "one_pass_s", "least_process_s", "pandas_s"):
        assert r[key] > 0, key
    assert r["one_pass_ratio"] == r["one_pass_s"] / r["bare_s"]
    assert r["most_speedup"] == r["pandas_s"] / r["least_process_s"]
    assert "one pass from read_csv" in floor.render(r)

    paths = bench_main.ledger(data, 500, "csv")
    files = [pipeline.InputFile(paths[t], table=t) for t in bench_main.TABLES]
    staging, staged, _ = pipeline.stage_files(files)
    with staging, duckdb.connect() as con:
        for (sql, params), s in zip(floor.one_pass_statements(paths), staged, strict=True):
            con.execute(sql, params)
            imputed = ", due_date, due_date_imputed" if s.table == "invoices" else ""
            rows = "SELECT * EXCLUDE (line_no" + imputed + ") FROM {} ORDER BY ALL"
            got = con.execute(rows.format(s.table)).fetchall()
            assert got == staging.execute(rows.format(s.typed)).fetchall(), s.table
            assert len(got) == s.rows_read
        due = "SELECT invoice_id, due_date FROM {} WHERE due_date IS NOT NULL {} ORDER BY ALL"
        got = con.execute(due.format("invoices", "")).fetchall()
        typed = next(s.typed for s in staged if s.table == "invoices")
        given = staging.execute(due.format(typed, "AND NOT due_date_imputed")).fetchall()
        assert got == given and len(got) < 500  # the ledger leaves some due dates out
