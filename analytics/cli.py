"""Command line: ``python -m analytics {ingest,kpis,datasets,delete,sample}``.

Exit status: 0 when the command did its work (rejected rows are reported on stderr), 2 when the
input cannot give figures, with a one-line reason on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from analytics import ingest, schema
from analytics.pipeline import (
    DEFAULT_LIMITS,
    LARGE_LIMITS,
    TABLE_DOUBT,
    InputFile,
    Limits,
    LoadError,
    LoadReport,
    load_files,
    one_line,
    stages_on_disk,
)
from analytics.store import Workspace, WorkspaceError, workspace_path

EXIT_OK, EXIT_INPUT = 0, 2


class UsageError(Exception):
    """Arguments that cannot be used; reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _currency(text: str) -> str:
    value = text.strip()
    if not value.isalnum():
        raise argparse.ArgumentTypeError(f"{text!r} is not a currency code (EUR, USD...)")
    return value


#: The longest DSO period accepted (ten years of days).
MAX_PERIOD_DAYS = 3660


def _period_days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_PERIOD_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of days from 1 to {MAX_PERIOD_DAYS}"
        )
    return value


LARGE_HELP = "lift the upload limits (file size, parse time and memory) for large files of your own"


def _limits(args: argparse.Namespace) -> Limits:
    return LARGE_LIMITS if args.large else DEFAULT_LIMITS


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m analytics", description="Encours receivables analytics")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ing = sub.add_parser("ingest", help="load files into the workspace as one dataset")
    ing.add_argument("files", nargs="+", type=Path)
    ing.add_argument("--name", help="dataset name (default: the file names)")
    ing.add_argument("--workspace", type=Path, help="workspace file (default: $ENCOURS_WORKSPACE)")
    ing.add_argument("--mapping", type=Path, help="JSON mapping file (see README)")
    ing.add_argument("--encoding", help="force the encoding of every CSV file")
    ing.add_argument("--large", action="store_true", help=LARGE_HELP)

    k = sub.add_parser("kpis", help="compute the KPIs of ledger files as of a date")
    k.add_argument("--invoices", type=Path, required=True)
    k.add_argument("--payments", type=Path)
    k.add_argument("--customers", type=Path)
    k.add_argument("--write-offs", dest="write_offs", type=Path)
    k.add_argument("--mapping", type=Path, help="JSON mapping file (see README)")
    k.add_argument("--as-of", dest="as_of", type=_date, required=True)
    k.add_argument("--period-days", dest="period_days", type=_period_days, default=None)
    k.add_argument(
        "--currency", type=_currency, help="currency to report when the ledger has several"
    )
    k.add_argument("--json", action="store_true", help="print one JSON object")
    k.add_argument("--large", action="store_true", help=LARGE_HELP)

    ds = sub.add_parser("datasets", help="list the datasets of the workspace")
    ds.add_argument("--workspace", type=Path)
    de = sub.add_parser("delete", help="delete a dataset from the workspace")
    de.add_argument("dataset_id", type=int)
    de.add_argument("--workspace", type=Path)
    return p


def read_mapping_file(path: Path | None) -> dict[str, dict[str, str]]:
    """A mapping file: {"invoices": {"amount": "Montant TTC", ...}, "payments": {...}}.

    Keys are canonical table names; values map canonical columns to source headers. They are
    applied on top of the mapping proposed for each file of that table.
    """
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"{Path(path).name}: not a readable JSON mapping file ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise LoadError(
            f'{Path(path).name}: expected {{"invoices": {{"amount": "Montant TTC"}}, ...}}'
        )
    unknown = sorted(set(data) - set(schema.TABLES))
    if unknown:
        raise LoadError(
            f"{Path(path).name}: no table {unknown[0]!r} (the tables are "
            f"{', '.join(schema.TABLES)})"
        )
    return data


def _input_files(
    pairs: Sequence[tuple[str | None, Path]], overrides: dict, encoding: str | None = None
) -> list[InputFile]:
    files = []
    for table, path in pairs:
        if not Path(path).is_file():
            option = f"--{table.replace('_', '-')} " if table else ""
            why = "a folder, not a file" if Path(path).is_dir() else "no such file"
            raise LoadError(f"{option}{path}: {why}")
        files.append(
            InputFile(path=Path(path), table=table, encoding=encoding, overrides=overrides)
        )
    return files


def _report_rejects(report: LoadReport, ws: Workspace) -> None:
    for f in report.files:
        print(
            f"{f.file}: {f.table}, {f.rows_read} rows read, {f.rows_loaded} loaded, "
            f"{f.rows_rejected} rejected",
            file=sys.stderr,
        )
        for note in f.notes:
            if note.startswith(TABLE_DOUBT):
                print(f"warning: {f.file}: {note}", file=sys.stderr)
    if report.rows_rejected:
        rejects = ws.rejected_rows(report.dataset_id)
        for row in rejects.head(20).itertuples():
            print(f"  {row.source_file}, row {row.line_no}: {row.reason}", file=sys.stderr)
        if len(rejects) > 20:
            print(f"  ... and {len(rejects) - 20} more rejected rows", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    overrides = read_mapping_file(args.mapping)
    with Workspace(args.workspace or workspace_path()) as ws:
        files = _input_files([(None, p) for p in args.files], overrides, args.encoding)
        report = load_files(ws, files, args.name, limits=_limits(args))
        if report.already_loaded:
            print(f"already loaded as dataset {report.dataset_id} ({report.name})")
            return EXIT_OK
        _report_rejects(report, ws)
        print(
            f"dataset {report.dataset_id} ({report.name}): {report.rows_loaded} rows loaded, "
            f"{report.rows_rejected} rejected, {report.flags} quality flags"
        )
    return EXIT_OK


def cmd_kpis(args: argparse.Namespace) -> int:
    from analytics import kpis as kpi_module
    from analytics import views

    overrides = read_mapping_file(args.mapping)
    pairs = [("invoices", args.invoices)]
    for table, path in (
        ("payments", args.payments),
        ("customers", args.customers),
        ("write_offs", args.write_offs),
    ):
        if path is not None:
            pairs.append((table, path))
    files = _input_files(pairs, overrides)
    limits = _limits(args)
    with _scratch_workspace(files, limits) as ws, _option_at_fault("--currency", args.currency):
        report = load_files(ws, files, limits=limits)
        _report_rejects(report, ws)
        figures = kpi_module.overview_json(
            ws.cursor(),
            report.dataset_id,
            args.as_of,
            rows={
                "read": report.rows_read,
                "loaded": report.rows_loaded,
                "rejected": report.rows_rejected,
            },
            period_days=args.period_days,
            currency=args.currency,
            warn=lambda msg: print(msg, file=sys.stderr),
        )
        first = views.data_start(ws.cursor(), report.dataset_id)
    if first is not None and first > args.as_of:
        print(
            f"warning: the first invoice is dated {first:%Y-%m-%d}, after --as-of "
            f"{args.as_of:%Y-%m-%d}: nothing is outstanding yet",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=_json_default))
    else:
        print(kpi_module.format_text(figures))
    return EXIT_OK


@contextmanager
def _option_at_fault(option: str, value: str | None) -> Iterator[None]:
    """An unknown currency asked for is a usage error naming the option."""
    from analytics.kpis import UnknownCurrencyError

    try:
        yield
    except UnknownCurrencyError as exc:
        raise UsageError(f"{option} {value}: {exc}") from None


@contextmanager
def _scratch_workspace(files: list[InputFile], limits: Limits) -> Iterator[Workspace]:
    """The workspace of one ``kpis`` command, gone when it ends: in memory, or a database file
    in a private temporary folder when the files are too large for the memory (DuckDB then
    reads back from the file what it cannot keep in memory, rather than spilling it).

    One overview: each figure is asked once, so no derived rows are kept (itemcache.derived).
    """
    if not stages_on_disk(files, limits):
        with Workspace(":memory:", derive=False) as ws:
            yield ws
        return
    with tempfile.TemporaryDirectory(prefix="encours-kpis-") as folder:
        with Workspace(Path(folder) / "kpis.duckdb", derive=False) as ws:
            yield ws


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _existing_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace of a command that reads or deletes: a mistyped path is an error, not a new
    empty workspace."""
    path = Path(args.workspace or workspace_path())
    if not path.is_file():
        raise WorkspaceError(f"no workspace at {path} (ingest creates one)")
    return Workspace(path)


def cmd_datasets(args: argparse.Namespace) -> int:
    with _existing_workspace(args) as ws:
        for d in ws.datasets():
            print(
                f"{d.dataset_id}\t{one_line(d.name)}\t{d.rows_loaded} rows\t{d.rows_rejected} rejected\t"
                f"{d.loaded_at:%Y-%m-%d %H:%M}"
            )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    with _existing_workspace(args) as ws:
        if not ws.delete_dataset(args.dataset_id):
            raise LoadError(f"no dataset {args.dataset_id} in the workspace")
    print(f"dataset {args.dataset_id} deleted")
    return EXIT_OK


COMMANDS = {
    "ingest": cmd_ingest,
    "kpis": cmd_kpis,
    "datasets": cmd_datasets,
    "delete": cmd_delete,
}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """A warning is one line for the user (``warning: ...``), not a source line."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    with warnings.catch_warnings():  # restores the warning display when the command ends
        warnings.showwarning = _show_warning
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, LoadError, ingest.IngestError, WorkspaceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except duckdb.OutOfMemoryException as exc:
        limit = os.environ.get("ENCOURS_MEMORY_LIMIT", "").strip()
        where = f"ENCOURS_MEMORY_LIMIT={limit}" if limit else "this machine's memory"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: this needs more memory than {where} allows ({first})", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # never a traceback to a user
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INPUT
