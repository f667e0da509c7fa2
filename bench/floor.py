"""``python -m bench.floor``: the least a load or a ``kpis`` command could take, against goals.

On the bench ledger of one scale (1M invoices by default), medians of ``--runs`` runs measured
in one run:

1. ``bare``: DuckDB ``read_csv`` of the invoices, payments and customers into tables of a
   database file, the baseline of the benchmark's section a (ingest);
2. ``one_pass``: the staging's own statement that types and checks every row
   (``quality.typed_table_sql``), its formats detected beforehand, run straight on ``read_csv``
   (every field as text) into a database file, for the same three files. This is the least a
   load in one pass would do: no sniffing, line numbers, duplicates, reconciliation, flags,
   hashing, parsing process or handover. ``one_pass / bare`` is a floor of the ingest ratio;
3. ``least_process``: a process that starts Python, imports DuckDB and reads the invoice and
   payment files, typed, into memory, and does nothing else: the least any DuckDB ``kpis``
   command could do;
4. ``pandas``: the pandas reference of section c (``bench.pandas_kpis``), as a whole process.

``pandas / least_process`` is the most any DuckDB command could be faster than the reference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from bench.__main__ import (
    BENCH_DIR,
    CURRENCY,
    TABLES,
    _as_of,
    _bare,
    _child,
    ledger,
    median_of,
)

#: The least any command reads: the two files the pandas reference reads.
_LEAST_PROCESS = (
    "import sys\n"
    "import duckdb\n"
    "con = duckdb.connect()\n"
    "for i, path in enumerate(sys.argv[1:]):\n"
    "    con.execute('CREATE TABLE t' + str(i) + ' AS SELECT * FROM read_csv($p)', {'p': path})\n"
)


def _text_source(path: Path, columns: int, separator: str) -> str:
    """``read_csv`` of a bench CSV file as the raw table's columns, every field as text (the
    bench ledger has a one-line header, UTF-8, double quotes); no line numbers."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(columns)) + "}"
    quoted = str(path).replace("'", "''")
    return (
        f"(SELECT *, CAST(NULL AS BIGINT) AS line_no FROM read_csv('{quoted}', header = false, "
        f"skip = 1, auto_detect = false, delim = '{separator}', quote = '\"', escape = '\"', "
        f"columns = {cols}))"
    )


def one_pass_statements(paths: dict[str, Path]) -> list[tuple[str, dict[str, object]]]:
    """Per file, the staging statement of its table straight from ``read_csv``; the formats
    are detected on a staging of the file read beforehand."""
    from analytics import ingest, pipeline, quality

    statements = []
    with duckdb.connect() as con:
        for i, table in enumerate(TABLES):
            f = pipeline.InputFile(paths[table], table=table)
            info = ingest.sniff(paths[table], name=f.display_name)
            raw = ingest.read_raw(con, info, f"raw_{i}")
            m = pipeline._choose_mapping(f, raw.headers, None)
            source = _text_source(paths[table], len(raw.headers), info.separator or ",")
            statements.append(quality.typed_table_sql(con, raw, m, table, source))
    return statements


def _into_file(work: Path, statements: list[tuple[str, dict[str, object]]]) -> None:
    db = work / "floor.duckdb"
    con = duckdb.connect(str(db))
    try:
        for sql, params in statements:
            con.execute(sql, params)
    finally:
        con.close()
    db.unlink()


def measure(n: int, data_dir: Path, runs: int) -> dict[str, Any]:
    """The four figures at ``n`` invoices (seconds, medians) and their ratios."""
    paths = ledger(data_dir, n, "csv")
    one_pass = one_pass_statements(paths)
    least_cmd = [sys.executable, "-c", _LEAST_PROCESS, str(paths["invoices"]),
                 str(paths["payments"])]  # fmt: skip
    pandas_cmd = [sys.executable, "-m", "bench.pandas_kpis", str(paths["invoices"]),
                  str(paths["payments"]), _as_of().isoformat(), CURRENCY]  # fmt: skip
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        work = Path(tmp)
        bare_s, bare_all = median_of(runs, lambda: _bare(paths, work, "read_csv"))
        one_s, one_all = median_of(runs, lambda: _into_file(work, one_pass))
    least_all = [_child(least_cmd)[0] for _ in range(runs)]
    pandas_all = [_child(pandas_cmd)[0] for _ in range(runs)]
    least_s, pandas_s = statistics.median(least_all), statistics.median(pandas_all)
    return {
        "invoices": n,
        "runs": runs,
        "bare_s": bare_s,
        "one_pass_s": one_s,
        "one_pass_ratio": one_s / bare_s,
        "least_process_s": least_s,
        "pandas_s": pandas_s,
        "most_speedup": pandas_s / least_s,
        "runs_bare_s": bare_all,
        "runs_one_pass_s": one_all,
        "runs_least_process_s": least_all,
        "runs_pandas_s": pandas_all,
    }


def render(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Floors at {r['invoices']:,} invoices (medians of {r['runs']} runs):",
            "",
            "| figure | time | ratio |",
            "|---|---:|---:|",
            f"| bare read_csv into a database file | {r['bare_s']:.2f} s | 1.00x |",
            f"| the staging statement in one pass from read_csv | {r['one_pass_s']:.2f} s "
            f"| {r['one_pass_ratio']:.2f}x bare (ingest goal <= 1.5x) |",
            f"| a process that imports DuckDB and reads the files | {r['least_process_s']:.2f} s "
            f"| {r['most_speedup']:.2f}x faster than pandas (kpis goal >= 5x) |",
            f"| the pandas reference | {r['pandas_s']:.2f} s | |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=int, default=1_000_000, help="invoices (bench ledger)")
    p.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    p.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    result = measure(args.scale, args.data_dir, args.runs)
    print(render(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
