"""``make bench``: load and KPI timings at several ledger sizes, against plain baselines.

Every figure is the median of ``--runs`` runs (3 by default) and every comparison is a ratio of
two medians measured in the same run of the benchmark, on the same files:

a. ingest: ``pipeline.load_files`` of invoices + payments + customers (CSV, then Parquet) into
   a workspace file, against a bare DuckDB ``read_csv`` / ``read_parquet`` of the same files
   into tables of a database file (goal: at most 1.5x);
b. ``kpis.overview`` for one currency against one bare aging group-by on the loaded invoices
   table (goal: at most 3x);
c. the whole ``python -m analytics kpis`` command against ``bench.pandas_kpis``, the same
   figures as an analyst's pandas notebook computes them (goal: at least 5x faster);
d. the peak resident memory of the process that loads and computes, and the peak disk space
   the scale's run takes beyond what was used when it started, per scale;
e. the time per scale and its slope (log-log: 1.0 is linear);
f. every page of the app rerun with Streamlit's AppTest (``bench.pages``), cold and warm, on
   the bundled sample and at 1M invoices (goals: cold under 2 s, warm under 300 ms).

Both reports (``RESULTS.md``, ``results.json``) are rewritten after each scale and each page
ledger, so a long run that stops keeps what it finished. ``--keep FILE`` carries over the rows
of an earlier ``results.json`` for the scales (and page ledgers) this run does not measure,
each with the date and commit it was measured at: a 10M row measured once need not be
measured again to refresh the smaller scales.

Ledgers come from ``analytics.sample.write_bench_ledger`` and are cached in ``bench/data``.
``--memory-limit 4GB`` sets ``ENCOURS_MEMORY_LIMIT`` for every child of the run (workspace,
parsing, bare reads, the ``kpis`` command): DuckDB then works out of core beyond it. ``--huge``
adds 100M invoices with a 4GB limit unless another is given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SCALES = (100_000, 1_000_000)
FULL_SCALES = (10_000_000,)
HUGE_SCALES = (100_000_000,)
#: The DuckDB memory limit of a run with the 100M scale, which must complete out of core.
HUGE_MEMORY_LIMIT = "4GB"
TABLES = ("invoices", "payments", "customers")
CURRENCY = "EUR"
GOALS = {"ingest": 1.5, "overview": 3.0, "kpis_speedup": 5.0}
#: The pandas reference may use this share of the machine's memory (its address space).
PANDAS_MEMORY_SHARE = 0.75


def _as_of() -> date:
    from analytics.sample import SAMPLE_END

    return SAMPLE_END


def ledger(data_dir: Path, n: int, fmt: str) -> dict[str, Path]:
    """The cached ledger of ``n`` invoices in ``fmt``, written on first use."""
    from analytics.sample import write_bench_ledger

    directory = data_dir / str(n) / fmt
    done = directory / ".complete"
    paths = {t: directory / f"{t}.{fmt}" for t in TABLES}
    if not done.exists():
        if directory.exists():
            shutil.rmtree(directory)
        written = write_bench_ledger(directory, n, fmt=fmt)  # type: ignore[arg-type]
        paths = {t: written[t] for t in TABLES}
        done.write_text("ok\n")
    return paths


def median_of(runs: int, fn: Callable[[], Any]) -> tuple[float, list[float]]:
    """Median wall time of ``runs`` calls of ``fn`` (seconds) and every time."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


# --------------------------------------------------------------------------------------------
# The measurements of one scale (run in a child process so that its peak memory is its own)


def _load(paths: dict[str, Path], workdir: Path) -> None:
    from analytics.pipeline import LARGE_LIMITS, InputFile, load_files
    from analytics.store import Workspace

    db = workdir / "ws.duckdb"
    with Workspace(db) as ws:
        load_files(ws, [InputFile(paths[t], table=t) for t in TABLES], limits=LARGE_LIMITS)
    db.unlink()


_BARE_READ = "CREATE TABLE {table} AS SELECT * FROM {reader}($path)"


def _bare(paths: dict[str, Path], workdir: Path, reader: str) -> None:
    from analytics import schema
    from analytics.store import memory_limit

    db = workdir / "bare.duckdb"
    limit = memory_limit()  # the same DuckDB memory limit as the load it is compared with
    con = duckdb.connect(str(db), config={"memory_limit": limit} if limit else {})
    try:
        for t in TABLES:
            sql = _BARE_READ.format(table=schema.table_for(t).name, reader=reader)
            con.execute(sql, {"path": str(paths[t])})
    finally:
        con.close()
    db.unlink()


def _bare_aging_sql() -> str:
    from analytics import schema
    from analytics.config import BUCKET_EDGES

    inv = schema.table_for("invoices")
    due, amount, currency = (inv.column(c).name for c in ("due_date", "amount", "currency"))
    whens = " ".join(
        f"WHEN $as_of - {due} <= {edge} THEN {i + 1}" for i, edge in enumerate(BUCKET_EDGES)
    )
    bucket = f"CASE WHEN $as_of - {due} <= 0 THEN 0 {whens} ELSE {len(BUCKET_EDGES) + 1} END"
    return (
        f"SELECT {bucket} AS bucket, sum({amount}) AS amount FROM {inv.name} "
        f"WHERE dataset_id = $dataset_id AND {currency} = $currency GROUP BY 1 ORDER BY 1"
    )


def _high_water(pid: int) -> int:
    """VmHWM of a running process in bytes (0 when it cannot be read)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return 0


def _address_space_limit(limit: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` capping the child's address space at ``limit`` bytes (None: no cap)."""
    if limit is None:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _filesystems(paths: list[Path]) -> list[Path]:
    """One path per filesystem among ``paths`` (those that exist)."""
    found: dict[int, Path] = {}
    for path in paths:
        try:
            found.setdefault(path.stat().st_dev, path)
        except OSError:
            continue
    return list(found.values())


def _disk_used(filesystems: list[Path]) -> int:
    return sum(shutil.disk_usage(p).used for p in filesystems)


def _child(
    cmd: list[str],
    poll_s: float = 0.01,
    address_space: int | None = None,
    disk: list[Path] | None = None,
) -> tuple[float, int, int]:
    """Run ``cmd``; its wall time (s), peak resident memory and peak disk (bytes).

    The peak memory is the child's VmHWM read every ``poll_s`` while it runs (ru_maxrss of a
    child also counts the memory of the parent it was forked from); without /proc, ru_maxrss.
    The peak disk is the most space used, read as often, beyond what was used when the child
    started, on the filesystems of the temporary folder and of ``disk``: workspaces, parse
    folders and DuckDB's spill files (whatever else writes there meanwhile counts too).
    ``address_space`` caps the child's address space (RLIMIT_AS, bytes): beyond it the child
    fails with a memory error instead of exhausting the machine.
    """
    filesystems = _filesystems([Path(tempfile.gettempdir()), *(disk or [])])
    base = _disk_used(filesystems)
    peak_disk = 0
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_address_space_limit(address_space),  # noqa: PLW1509
        )
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _high_water(proc.pid))
            peak_disk = max(peak_disk, _disk_used(filesystems) - base)
            time.sleep(poll_s)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")[-800:]
            raise RuntimeError(f"{' '.join(cmd[:5])}... failed ({proc.returncode}): {text}")
    return elapsed, peak or usage.ru_maxrss * 1024, peak_disk


def measure_scale(
    n: int, data_dir: Path, runs: int, save: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Every measurement of one scale; medians in seconds, memory in bytes.

    ``save`` receives what is measured so far after each section (a. CSV, a. Parquet, b.), so
    that a long scale that stops keeps its finished sections.
    """
    save = save or (lambda _: None)
    from analytics import itemcache, kpis, legal_fr
    from analytics.config import Filters
    from analytics.pipeline import LARGE_LIMITS, InputFile, load_files
    from analytics.store import Workspace

    csv = ledger(data_dir, n, "csv")
    parquet = ledger(data_dir, n, "parquet")
    as_of = _as_of()
    out: dict[str, Any] = {"invoices": n}
    count = "SELECT count(*) FROM read_parquet($path)"
    with duckdb.connect() as con:
        out["rows"] = {
            t: int(con.execute(count, {"path": str(parquet[t])}).fetchall()[0][0]) for t in TABLES
        }
    save(out)
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        work = Path(tmp)
        for fmt, paths, reader in (("csv", csv, "read_csv"), ("parquet", parquet, "read_parquet")):
            load, load_all = median_of(runs, lambda p=paths: _load(p, work))
            bare, bare_all = median_of(runs, lambda p=paths, r=reader: _bare(p, work, r))
            out[f"ingest_{fmt}"] = {
                "load_files_s": load,
                "bare_s": bare,
                "ratio": load / bare,
                "runs_load_s": load_all,
                "runs_bare_s": bare_all,
            }
            save(out)
        with Workspace(work / "kpi.duckdb") as ws:
            report = load_files(
                ws, [InputFile(csv[t], table=t) for t in TABLES], limits=LARGE_LIMITS
            )
            cur = ws.cursor()
            filters = Filters(currency=(CURRENCY,))
            ds = report.dataset_id

            def cold(legal: bool = True) -> None:
                itemcache.forget(cur)
                kpis.overview(cur, as_of, dataset_id=ds, filters=filters, legal=legal)

            ov_cold, ov_cold_all = median_of(runs, cold)
            core_cold, core_cold_all = median_of(runs, lambda: cold(legal=False))
            # The first request after a cold run without the legal block writes the late-payment
            # rows; it is timed apart, so that every warm run finds the cache complete.
            started = time.perf_counter()
            kpis.overview(cur, as_of, dataset_id=ds, filters=filters)
            first_warm = time.perf_counter() - started
            ov, ov_all = median_of(
                runs, lambda: kpis.overview(cur, as_of, dataset_id=ds, filters=filters)
            )
            core, core_all = median_of(
                runs,
                lambda: kpis.overview(cur, as_of, dataset_id=ds, filters=filters, legal=False),
            )
            # The overview hands the legal block the terms-breach count of its cached sums.
            breaches = legal_fr.terms_breach_count(cur, as_of, dataset_id=ds, filters=filters)
            legal, legal_all = median_of(
                runs,
                lambda: legal_fr.legal_summary(
                    cur, as_of, dataset_id=ds, filters=filters, breaches=breaches
                ),
            )
            sql = _bare_aging_sql()
            binds = {"as_of": as_of, "dataset_id": ds, "currency": CURRENCY}
            ag, ag_all = median_of(runs, lambda: cur.execute(sql, binds).fetchall())
            out["overview"] = {
                "overview_s": ov,
                "overview_cold_s": ov_cold,
                "first_warm_s": first_warm,
                "bare_aging_s": ag,
                "ratio": ov / ag,
                "ratio_cold": ov_cold / ag,
                "legal_warm_s": legal,
                "core_s": core,
                "core_cold_s": core_cold,
                "ratio_core": core / ag,
                "ratio_core_cold": core_cold / ag,
                "cached": itemcache.enabled(cur),
                "runs_overview_s": ov_all,
                "runs_overview_cold_s": ov_cold_all,
                "runs_legal_warm_s": legal_all,
                "runs_core_s": core_all,
                "runs_core_cold_s": core_cold_all,
                "runs_bare_aging_s": ag_all,
            }
            save(out)
    kpis_cmd = [
        sys.executable, "-m", "analytics", "kpis",
        "--invoices", str(csv["invoices"]), "--payments", str(csv["payments"]),
        "--customers", str(csv["customers"]), "--as-of", as_of.isoformat(),
        "--currency", CURRENCY, "--json", "--large",
    ]  # fmt: skip
    pandas_cmd = [
        sys.executable, "-m", "bench.pandas_kpis",
        str(csv["invoices"]), str(csv["payments"]), as_of.isoformat(), CURRENCY,
    ]  # fmt: skip
    out["kpis_command"] = compare_commands(kpis_cmd, pandas_cmd, runs)
    return out


def _pandas_address_space() -> int | None:
    """The pandas reference's address-space cap: PANDAS_MEMORY_SHARE of the machine's memory."""
    total = machine()["memory_bytes"]
    return int(total * PANDAS_MEMORY_SHARE) if total else None


def _runs_of(cmd: list[str], runs: int, address_space: int | None = None) -> dict[str, Any]:
    """``runs`` runs of ``cmd``: median wall time, peak memory and every time; or, when a run
    fails, the time it ran and its error (the later runs are not tried)."""
    done: list[tuple[float, int, int]] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            done.append(_child(cmd, address_space=address_space))
        except RuntimeError as exc:
            return {"error": str(exc), "failed_after_s": time.perf_counter() - t0}
    return {
        "s": statistics.median(t for t, _, _ in done),
        "peak_rss": max(m for _, m, _ in done),
        "peak_disk": max(d for _, _, d in done),
        "runs_s": [t for t, _, _ in done],
    }


def compare_commands(kpis_cmd: list[str], pandas_cmd: list[str], runs: int) -> dict[str, Any]:
    """Section c: the ``kpis`` command against the pandas reference. The reference runs under
    an address-space cap (:func:`_pandas_address_space`): on a ledger larger than the machine
    can hold in pandas it fails with a memory error, which is reported, instead of exhausting
    the machine; a failed side has no median and no speed-up."""
    k = _runs_of(kpis_cmd, runs)
    cap = _pandas_address_space()
    p = _runs_of(pandas_cmd, runs, cap)
    out: dict[str, Any] = {"pandas_address_space": cap}
    for side, r in (("kpis", k), ("pandas", p)):
        if "error" in r:
            out[f"{side}_error"] = r["error"]
            out[f"{side}_failed_after_s"] = r["failed_after_s"]
        else:
            out[f"{side}_s"] = r["s"]
            out[f"{side}_peak_rss"] = r["peak_rss"]
            out[f"{side}_peak_disk"] = r["peak_disk"]
            out[f"runs_{side}_s"] = r["runs_s"]
    if "kpis_s" in out and "pandas_s" in out:
        out["speedup"] = out["pandas_s"] / out["kpis_s"]
    return out


def _worker(argv: list[str]) -> int:
    n, data_dir, runs, out = int(argv[0]), Path(argv[1]), int(argv[2]), Path(argv[3])

    def save(partial: dict[str, Any]) -> None:
        _write_atomic(out, json.dumps(partial))

    save(measure_scale(n, data_dir, runs, save))
    return 0


#: The benchmark's own reports: rewriting them between two scales leaves the code measured
#: as it was committed.
_REPORTS = (":(exclude,glob)bench/**/RESULTS.md", ":(exclude,glob)bench/**/results.json")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=BENCH_DIR.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _commit() -> str | None:
    """The short commit hash of the checkout measured, "-dirty" when tracked files other than
    the benchmark's reports differ from it (None outside a git checkout)."""
    head = _git("rev-parse", "--short=7", "HEAD")
    if not head:
        return None
    changed = _git("status", "--porcelain", "--untracked-files=no", "--", ".", *_REPORTS)
    return head + "-dirty" if changed else head


#: The identity of the current run of ``main``: rows of one run share it (``--keep`` mixes runs).
_RUN: dict[str, str] = {"id": uuid.uuid4().hex[:12]}


def _stamp() -> dict[str, Any]:
    return {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": _commit(),
        "run": _RUN["id"],
        "machine": machine(),
        "memory_limit": os.environ.get("ENCOURS_MEMORY_LIMIT") or None,
    }


def _child_json(cmd: list[str]) -> tuple[dict[str, Any], float, int]:
    """Run ``cmd`` plus the path of a JSON file it writes; that JSON, the wall time and the
    peak memory of the child (``_child``)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result_file = Path(f.name)
    try:
        elapsed, peak, _ = _child([*cmd, str(result_file)])
        return json.loads(result_file.read_text()), elapsed, peak
    finally:
        result_file.unlink(missing_ok=True)


def run_pages(scale: int | None, data_dir: Path, runs: int) -> dict[str, Any]:
    """``bench.pages`` in a child process: every page cold and warm on the bundled sample
    (``scale`` None) or on the bench ledger of ``scale`` invoices."""
    cmd = [sys.executable, "-m", "bench.pages", "--runs", str(runs), "--data-dir",
           str(data_dir)]  # fmt: skip
    if scale is not None:
        cmd += ["--scale", str(scale)]
    try:
        result, elapsed, peak = _child_json([*cmd, "--json"])
    except RuntimeError as exc:
        # One page that fails is reported in its row; the other ledgers are measured.
        title = "bundled sample" if scale is None else f"{scale:,} invoices"
        failed = {"title": title, "invoices": scale, "results": [], "error": str(exc)}
        return {**failed, "peak_rss": 0, "wall_s": 0.0, **_stamp()}
    return {**result, "peak_rss": peak, "wall_s": elapsed, **_stamp()}


def run_scale(n: int, data_dir: Path, runs: int) -> dict[str, Any]:
    """Measure one scale in a child process; adds its wall time and peak memory.

    When the child fails, the row keeps the sections it finished and says why it stopped
    (``error``; no peak memory then)."""
    for fmt in ("csv", "parquet"):  # written first: the cached ledgers are not the run's disk
        ledger(data_dir, n, fmt)
    cmd = [sys.executable, "-m", "bench", "--worker", str(n), str(data_dir), str(runs)]
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result_file = Path(f.name)
    t0 = time.perf_counter()
    try:
        elapsed, peak, disk = _child([*cmd, str(result_file)], disk=[data_dir])
        result = json.loads(result_file.read_text())
    except RuntimeError as exc:
        text = result_file.read_text() if result_file.exists() else ""
        done = json.loads(text) if text.strip() else {}
        result = {**done, "invoices": n, "error": _error_line(str(exc))}
        elapsed, peak, disk = time.perf_counter() - t0, None, None
    finally:
        result_file.unlink(missing_ok=True)
    return {**result, "peak_rss": peak, "peak_disk": disk, "scale_wall_s": elapsed, **_stamp()}


# --------------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, Any]:
    import pandas

    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        mem = None
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
    }


def _having(results: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The rows that measured section ``key`` (a scale that stopped lacks its later ones)."""
    return [r for r in results if key in r]


def _slopes(results: list[dict[str, Any]], key: str, field: str) -> dict[int, str]:
    """Per scale, the slope of ``key.field`` against the previous scale that measured it."""
    out: dict[int, str] = {}
    previous = None
    for r in _having(results, key):
        value = None
        if previous is not None:
            ta, tb = previous[key][field], r[key][field]
            value = math.log(tb / ta) / math.log(r["invoices"] / previous["invoices"])
        out[r["invoices"]] = _slope_cell(value, r, previous)
        previous = r
    return out


def _same_run(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("run") is not None and a.get("run") == b.get("run")


def _slope_cell(value: float | None, row: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """A slope; marked with "*" when the previous scale's row comes from another run."""
    if value is None or previous is None:
        return "-"
    return f"{value:.2f}" + ("" if _same_run(row, previous) else "*")


def _gib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**30:.2f} GiB"


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:,.0f} MiB"


def _error_line(error: str) -> str:
    """The line of a child's error that names it (the last one saying Error, Exception or
    error:, else the last line; DuckDB follows its errors with advice), shortened."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    named = [line for line in lines if re.search(r"Error|Exception|error:", line)]
    last = (named or lines or [error])[-1]
    return last if len(last) <= 200 else last[:197] + "..."


def render(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    res = doc["results"]
    lines = [
        "# Encours benchmark",
        "",
        f"Command: `{doc['command']}`, {doc['runs']} runs per figure (medians), "
        f"as of {doc['as_of']}, currency {CURRENCY}.",
        "",
        f"Machine: {m['cpus']} CPUs, {_gib(m['memory_bytes'])} memory, {m['platform']}; "
        f"Python {m['python']}, DuckDB {m['duckdb']}, pandas {m['pandas']}.",
        "",
        "Ledgers: `analytics.sample.write_bench_ledger` (invoices, payments about as many, "
        "customers about n/60); load = invoices + payments + customers.",
        "",
        "## a. Ingest: load_files against a bare DuckDB read of the same files (goal <= 1.5x)",
        "",
        "| invoices | rows | CSV load_files | bare read_csv | ratio | Parquet load_files "
        "| bare read_parquet | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res:
        if "ingest_csv" not in r or "ingest_parquet" not in r:
            continue
        c, p = r["ingest_csv"], r["ingest_parquet"]
        lines.append(
            f"| {r['invoices']:,} | {sum(r['rows'].values()):,} | {c['load_files_s']:.2f} s "
            f"| {c['bare_s']:.2f} s | {c['ratio']:.2f}x | {p['load_files_s']:.2f} s "
            f"| {p['bare_s']:.2f} s | {p['ratio']:.2f}x |"
        )
    lines += [
        "",
        "## b. Overview KPI set against one bare aging group-by (goal <= 3x)",
        "",
        "`kpis.overview` reads the open items of the as-of date (the AR at the start of the "
        "average-DSO and CEI periods is read straight from the ledger) and keeps, beside them, "
        "the sums behind every figure per customer, segment, entity, country and currency, and "
        "the late-payment penalty of every late invoice. Cold: the cache is emptied before each "
        "run, so the run computes the open items, the sums and the penalties from the ledger; "
        "warm: they are cached (as on every later request of that date, whatever the filters), "
        "and the run adds up the rows that pass the filters. Of the warm run, the legal block "
        "(late-payment penalties of every late invoice, split at the ECB half-years) takes the "
        "time in the legal column. The KPI set without the legal block (AR, aging, DSO family, "
        "CEI, concentration, behaviour, losses) is timed apart, cold and warm, in the last "
        "columns. Before the warm runs, one request after the cold runs without the legal block "
        "writes the late-payment rows; it is listed below the table.",
        "",
        "| invoices | bare aging group-by | overview cold | overview warm | of which legal "
        "| ratio cold | ratio warm | without legal, cold | without legal, warm | ratio cold "
        "| ratio warm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in _having(res, "overview"):
        o = r["overview"]
        core = (
            f"| {o['core_cold_s'] * 1000:.0f} ms | {o['core_s'] * 1000:.0f} ms "
            f"| {o['ratio_core_cold']:.1f}x | {o['ratio_core']:.1f}x |"
            if "core_s" in o
            else "| - | - | - | - |"
        )
        lines.append(
            f"| {r['invoices']:,} | {o['bare_aging_s'] * 1000:.1f} ms "
            f"| {o['overview_cold_s'] * 1000:.0f} ms "
            f"| {o['overview_s'] * 1000:.0f} ms | {o['legal_warm_s'] * 1000:.0f} ms "
            f"| {o['ratio_cold']:.1f}x | {o['ratio']:.1f}x " + core
        )
    first = [
        f"{r['invoices']:,} invoices {r['overview']['first_warm_s']:.2f} s"
        for r in _having(res, "overview")
        if "first_warm_s" in r["overview"]
    ]
    if first:
        lines += ["", "First request after the cold runs (writes the late-payment rows): "
                  + "; ".join(first) + "."]  # fmt: skip
    lines += _render_commands(res)
    csv_slope = _slopes(res, "ingest_csv", "load_files_s")
    ov_slope = _slopes(res, "overview", "overview_s")
    lines += [
        "",
        "## d, e. Peak memory and time per scale",
        "",
        "Peak memory: the process that runs a. and b. at that scale (its VmHWM). Peak disk: the "
        "most disk space the scale's run (a., b. and c.) took beyond what was used when it "
        "started, on the filesystems of the temporary folder and the ledgers: workspaces, "
        "parse folders, DuckDB's spill files. Slope: log(time ratio) / log(size ratio) against "
        "the previous scale (1.0 = linear).",
        "",
        "| invoices | peak memory | peak disk | CSV load per 1M rows | slope | overview slope "
        "| scale wall time | measured |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in res:
        per_m = "-"
        if "ingest_csv" in r:
            per_m = f"{r['ingest_csv']['load_files_s'] / sum(r['rows'].values()) * 1e6:.2f} s"
        n = r["invoices"]
        lines.append(
            f"| {n:,} | {_mib(r['peak_rss'])} | {_mib(r.get('peak_disk'))} | {per_m} "
            f"| {csv_slope.get(n, '-')} | {ov_slope.get(n, '-')} "
            f"| {r['scale_wall_s']:.0f} s | {_measured(r, m)} |"
        )
    stopped = [f"- Stopped at {r['invoices']:,}: {r['error']}" for r in res if r.get("error")]
    if stopped:
        lines += ["", *stopped]
    if any(not _same_run(a, b) for a, b in zip(res, res[1:], strict=False)):
        lines += [
            "",
            "\\* against the previous scale's row measured in another run (`--keep`): "
            "see the measured column.",
        ]
    lines += _render_pages(doc.get("pages", []), m)
    lines += ["", "Raw figures (every run): `results.json` beside this file.", ""]
    return "\n".join(lines)


def _render_commands(res: list[dict[str, Any]]) -> list[str]:
    """Section c: one row per scale; a side that failed shows how long it ran, and why."""
    lines = [
        "",
        "## c. The `kpis` command against a pandas notebook (goal >= 5x faster)",
        "",
        "Both are whole processes (interpreter start, reading the CSV files, the figures). "
        "The pandas reference (`bench/pandas_kpis.py`) computes AR, the buckets, period DSO and "
        "the top-10 share only, and does not allocate customer-level payments.",
        "",
        "| invoices | `kpis` command | pandas | speed-up | peak memory kpis | peak memory pandas "
        "| peak disk kpis |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    failures: list[str] = []
    for r in _having(res, "kpis_command"):
        k = r["kpis_command"]
        cells = []
        for side in ("kpis", "pandas"):
            if f"{side}_error" in k:
                failures.append(f"{r['invoices']:,}, {side}: {_error_line(k[f'{side}_error'])}")
                cells.append(f"failed after {k[f'{side}_failed_after_s']:.0f} s")
            else:
                cells.append(f"{k[f'{side}_s']:.2f} s")
        speedup = f"{k['speedup']:.2f}x" if "speedup" in k else "-"
        lines.append(
            f"| {r['invoices']:,} | {cells[0]} | {cells[1]} | {speedup} "
            f"| {_mib(k.get('kpis_peak_rss'))} | {_mib(k.get('pandas_peak_rss'))} "
            f"| {_mib(k.get('kpis_peak_disk'))} |"
        )
    caps = {r["kpis_command"].get("pandas_address_space") for r in _having(res, "kpis_command")}
    if caps - {None}:
        cap = max(caps - {None})
        lines += [
            "",
            f"The pandas reference runs with its address space capped at {_gib(cap)} "
            f"({PANDAS_MEMORY_SHARE:.0%} of the machine's memory), so that a ledger pandas "
            "cannot hold fails with a memory error instead of exhausting the machine.",
        ]
    if failures:
        lines += ["", *[f"- Failed at {f}" for f in failures]]
    return lines


def _measured(r: dict[str, Any], machine_now: dict[str, Any] | None = None) -> str:
    """When and at which commit a row was measured; the machine when it is not this report's."""
    if "measured_at" not in r:
        return "-"
    commit = r.get("commit")
    text = r["measured_at"] + (f", {commit}" if commit else "")
    if r.get("memory_limit"):
        text += f", DuckDB memory limit {r['memory_limit']}"
    other = r.get("machine")
    keys = ("cpus", "memory_bytes", "platform")
    if other and machine_now and any(other.get(k) != machine_now.get(k) for k in keys):
        text += f", another machine ({other.get('cpus')} CPUs, {_gib(other.get('memory_bytes'))})"
    return text


def _render_pages(
    pages: list[dict[str, Any]], machine_now: dict[str, Any] | None = None
) -> list[str]:
    """Section f: one row per page, cold and warm per ledger."""
    if not pages:
        return []
    from bench.pages import GOALS as PAGE_GOALS

    lines = [
        "",
        "## f. Page reruns with AppTest (goals: cold under "
        f"{PAGE_GOALS['cold_s']:.0f} s, warm under {PAGE_GOALS['warm_s'] * 1000:.0f} ms)",
        "",
        "Each page through `app.py` and its navigation, as on a server (`bench.pages`). Cold: "
        "a new session with every Streamlit cache emptied and the workspace opened again; warm: "
        "the median of the reruns of that session with nothing changed. Peak memory: the "
        "process that loads the ledger into a workspace, then runs every page.",
        "",
    ]
    head = "| page |" + "".join(f" {p['title']}, cold | {p['title']}, warm |" for p in pages)
    lines += [head, "|---|" + "---:|---:|" * len(pages)]
    names = list(dict.fromkeys(r["page"] for p in pages for r in p["results"]))
    for name in names:
        cells = []
        for p in pages:
            row = next((r for r in p["results"] if r["page"] == name), None)
            if row is None:
                cells.append(" - | - |")
                continue
            cold_mark = "" if row["cold_s"] < PAGE_GOALS["cold_s"] else " (over)"
            warm_mark = "" if row["warm_median_s"] < PAGE_GOALS["warm_s"] else " (over)"
            cells.append(
                f" {row['cold_s']:.2f} s{cold_mark} | {row['warm_median_s'] * 1000:.0f} ms"
                f"{warm_mark} |"
            )
        lines.append(f"| {Path(name).stem} |" + "".join(cells))
    lines.append("")
    lines.append(
        "Measured: "
        + "; ".join(
            f"{p['title']} {_measured(p, machine_now)}, peak memory {_mib(p['peak_rss'])}"
            for p in pages
        )
        + "."
    )
    lines += [f"Failed on {p['title']}: {p['error']}" for p in pages if p.get("error")]
    return lines


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true", help="add the 10M-invoice scale")
    p.add_argument(
        "--huge",
        action="store_true",
        help=f"add the 100M-invoice scale (with --memory-limit {HUGE_MEMORY_LIMIT} unless given)",
    )
    p.add_argument(
        "--memory-limit",
        help="DuckDB memory limit of every connection of the run (ENCOURS_MEMORY_LIMIT, e.g. "
        "4GB): beyond it DuckDB works out of core; the pandas reference has no such limit",
    )
    p.add_argument("--scales", type=int, nargs="+", help="invoice counts (replaces defaults)")
    p.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    p.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    p.add_argument("--out-dir", type=Path, default=BENCH_DIR)
    p.add_argument(
        "--page-scales",
        nargs="*",
        default=["sample", "1000000"],
        help="ledgers of the page timings: 'sample' and/or invoice counts of the measured "
        "scales (default: sample 1000000; 'none' or nothing to skip)",
    )
    p.add_argument(
        "--keep",
        type=Path,
        help="an earlier results.json whose rows are kept for the scales not measured now",
    )
    return p


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark. ``--memory-limit`` sets ``ENCOURS_MEMORY_LIMIT`` for the run's
    children only: the variable is as it was once the run ends, however it ends."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    before = os.environ.get("ENCOURS_MEMORY_LIMIT")
    try:
        return _run(argv)
    finally:
        if before is None:
            os.environ.pop("ENCOURS_MEMORY_LIMIT", None)
        else:
            os.environ["ENCOURS_MEMORY_LIMIT"] = before


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    _RUN["id"] = uuid.uuid4().hex[:12]
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    limit = args.memory_limit or (HUGE_MEMORY_LIMIT if args.huge else None)
    if limit:
        os.environ["ENCOURS_MEMORY_LIMIT"] = limit  # every child process inherits it
        from analytics.store import WorkspaceError, memory_limit

        try:
            memory_limit()
        except WorkspaceError as exc:
            raise SystemExit(f"--memory-limit: {exc}") from None
    scales = list(args.scales or DEFAULT_SCALES)
    if args.full or args.huge:
        scales += FULL_SCALES
    if args.huge:
        scales += HUGE_SCALES
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    page_scales: list[int | None] = []
    for value in args.page_scales:
        if value == "none":
            continue
        if value != "sample" and not value.isdigit():
            raise SystemExit(f"--page-scales: {value!r} is not 'sample', 'none' or a number")
        scale = None if value == "sample" else int(value)
        if scale is not None and scale not in scales:
            print(f"bench: no pages at {scale:,}: not a measured scale", file=sys.stderr)
            continue
        page_scales.append(scale)
    kept = json.loads(args.keep.read_text()) if args.keep is not None else {}
    results: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    command = "python -m bench" + ("" if not argv else " " + " ".join(argv))

    def write(final: bool = False) -> dict[str, Any]:
        """Both reports with what is measured so far (and the kept rows not measured yet).
        Until the run ends they are ``*.partial``: a run that stops leaves the previous
        reports as they were and its finished scales beside them."""
        done = {r["invoices"] for r in results}
        rows = results + [r for r in kept.get("results", []) if r["invoices"] not in done]
        shown = {p.get("invoices") for p in pages}
        page_rows = pages + [p for p in kept.get("pages", []) if p.get("invoices") not in shown]
        doc = {
            "command": command,
            "runs": args.runs,
            "as_of": _as_of().isoformat(),
            "machine": machine(),
            "goals": GOALS,
            "results": sorted(rows, key=lambda r: r["invoices"]),
            "pages": sorted(page_rows, key=lambda p: p.get("invoices") or 0),
            "self_peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
        suffix = "" if final else ".partial"
        _write_atomic(args.out_dir / f"results.json{suffix}", json.dumps(doc, indent=2) + "\n")
        _write_atomic(args.out_dir / f"RESULTS.md{suffix}", render(doc))
        if final:
            for name in ("results.json.partial", "RESULTS.md.partial"):
                (args.out_dir / name).unlink(missing_ok=True)
        return doc

    data_dir = args.data_dir.resolve()

    def pages_on(scale: int | None) -> None:
        if scale in page_scales:
            print(f"bench: pages on {scale or 'the sample'}...", file=sys.stderr, flush=True)
            pages.append(run_pages(scale, data_dir, args.runs))
            write()

    pages_on(None)
    for n in sorted(set(scales)):
        print(f"bench: {n:,} invoices...", file=sys.stderr, flush=True)
        results.append(run_scale(n, data_dir, args.runs))
        write()
        pages_on(n)
    doc = write(final=True)
    print(render(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
