"""The hostile-input corpus (tests/hostile): every malformed, misleading or malicious file is
either refused with one clear line naming it, or loaded with its bad rows rejected for a reason
and the exact control total of the rows kept; never a traceback, never a partial load, and the
dataset already in the workspace is left exactly as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from analytics.ingest import IngestError, SourceInfo, check_archive
from analytics.pipeline import InputFile, LoadError, load_files
from analytics.store import Workspace, WorkspaceError
from tests.hostile import make

HOSTILE = Path(__file__).resolve().parent / "hostile"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))
INPUTS: list[dict[str, Any]] = MANIFEST["inputs"]
BASELINE = MANIFEST["baseline"]
#: The documented errors a load may raise; anything else reaching the user is a bug.
DOCUMENTED = (LoadError, IngestError, WorkspaceError)


def _case_id(case: dict[str, Any]) -> str:
    extra = ",".join(
        f"{k}={v}" for k, v in sorted(case.get("input", {}).items()) if k != "overrides"
    )
    if "overrides" in case.get("input", {}):
        extra = (extra + ",mapped").lstrip(",")
    return case["file"] + (f"[{extra}]" if extra else "")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Folder of the generated (huge) inputs, emptied at the end of the session."""
    folder = tmp_path_factory.mktemp("hostile-generated")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    """A workspace file holding one clean dataset, and the snapshot of its contents."""
    path = tmp_path_factory.mktemp("hostile-baseline") / "workspace.duckdb"
    ws = Workspace(path)
    try:
        load_files(ws, [InputFile(HOSTILE / BASELINE["file"])], bounded=False)
        snap = snapshot(ws)
    finally:
        ws.close()
    return path, snap


def snapshot(ws: Workspace) -> tuple:
    """What must not change: datasets, rows and amounts of dataset 1, its rejects and flags."""
    cur = ws.cursor()
    datasets = cur.execute("SELECT dataset_id, sha256, rows_loaded FROM datasets").fetchall()
    invoices = cur.execute(
        "SELECT count(*), sum(amount), min(line_no), max(line_no) FROM invoices "
        "WHERE dataset_id = 1"
    ).fetchone()
    rejects = cur.execute("SELECT count(*) FROM rejected_rows WHERE dataset_id = 1").fetchone()
    flags = cur.execute("SELECT count(*) FROM quality_flags WHERE dataset_id = 1").fetchone()
    return datasets, invoices, rejects, flags


def source(case: dict[str, Any], generated: Path) -> Path:
    if case.get("source") == "generated":
        return make.generate(case["file"], generated)
    return HOSTILE / "files" / case["file"]


@pytest.fixture
def ws(tmp_path: Path, baseline: tuple[Path, tuple]) -> Iterator[Workspace]:
    copy = tmp_path / "workspace.duckdb"
    shutil.copy(baseline[0], copy)
    w = Workspace(copy)
    assert snapshot(w) == baseline[1]
    yield w
    w.close()


def test_the_corpus_holds_at_least_forty_inputs_of_every_class_the_issue_names() -> None:
    classes = {c["class"] for c in INPUTS}
    assert len(INPUTS) >= 40
    assert {
        "empty",
        "binary",
        "structure",
        "size",
        "header",
        "injection",
        "formula",
        "dates",
        "amounts",
        "encoding",
        "spreadsheet",
        "zip-bomb",
        "xml-bomb",
        "parquet",
    } <= classes
    assert len({_case_id(c) for c in INPUTS}) == len(INPUTS)


def test_every_committed_input_is_in_the_manifest_and_rebuilt_byte_for_byte_by_make() -> None:
    committed = {p.name for p in (HOSTILE / "files").iterdir()}
    listed = {c["file"] for c in INPUTS if c.get("source") != "generated"}
    assert committed == listed == set(make.SMALL)
    for name, build in make.SMALL.items():
        assert (HOSTILE / "files" / name).read_bytes() == build(), name
    assert {c["file"] for c in INPUTS if c.get("source") == "generated"} == set(make.BIG)


@pytest.mark.parametrize("case", INPUTS, ids=[_case_id(c) for c in INPUTS])
def test_a_hostile_input_is_refused_or_loaded_as_the_manifest_says_leaving_the_earlier_dataset(
    ws: Workspace, baseline: tuple[Path, tuple], generated: Path, case: dict[str, Any]
) -> None:
    path = source(case, generated)
    f = InputFile(path, **case.get("input", {}))
    try:
        if case["expect"] == "refused":
            with pytest.raises(DOCUMENTED) as caught:
                load_files(ws, [f], bounded=False)
            check_refusal(str(caught.value), case)
            assert snapshot(ws) == baseline[1]
        else:
            report = load_files(ws, [f], bounded=False)
            check_load(ws, report, case)
            assert snapshot(ws)[1:] == baseline[1][1:]
            assert snapshot(ws)[0][0] == baseline[1][0][0]
    finally:
        if path.stat().st_size > 100 * make.MIB:
            path.unlink()


def check_refusal(message: str, case: dict[str, Any]) -> None:
    assert message.startswith(case["file"]), message
    assert "\n" not in message and "Traceback" not in message
    for fragment in case.get("message", []):
        assert fragment in message, (fragment, message)
    if "message_any" in case:
        assert any(fragment in message for fragment in case["message_any"]), message
    if "row" in case:
        assert message.startswith(f"{case['file']}, row {case['row']}"), message


def check_load(ws: Workspace, report: Any, case: dict[str, Any]) -> None:
    assert report.dataset_id == 2
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (
        case["rows_read"],
        case["rows_loaded"],
        case["rows_rejected"],
    )
    [f] = report.files
    assert f.amount_loaded == Decimal(case["amount_loaded"])
    stored = (
        ws.cursor()
        .execute("SELECT count(*), sum(amount) FROM invoices WHERE dataset_id = 2")
        .fetchone()
    )
    assert stored == (case["rows_loaded"], Decimal(case["amount_loaded"]))
    rejects = ws.rejected_rows(2)
    assert len(rejects) == case["rows_rejected"]
    assert rejects["line_no"].notna().all() and (rejects["reason"].str.len() > 0).all()
    for fragment, count in case.get("reasons", {}).items():
        assert sum(fragment in r for r in rejects["reason"]) == count, (fragment, rejects)


#: Inputs loaded through the product's bounded path (a child process with resource limits).
BOUNDED = ["far_cell.xlsx", "billion_laughs_shared_strings.xlsx", "zip_bomb.xlsx", "nul_deep.csv"]


@pytest.mark.parametrize("name", BOUNDED)
def test_a_bomb_is_refused_with_the_same_message_through_the_bounded_child_process(
    ws: Workspace, baseline: tuple[Path, tuple], generated: Path, name: str
) -> None:
    case = next(c for c in INPUTS if c["file"] == name)
    with pytest.raises(DOCUMENTED) as caught:
        load_files(ws, [InputFile(source(case, generated))])
    check_refusal(str(caught.value), case)
    assert snapshot(ws) == baseline[1]


#: Sniff and read the file named by argv[1]; prints the outcome.
_WORK = textwrap.dedent(
    """
    import sys
    import duckdb
    from analytics import ingest
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        ingest.read_raw(con, ingest.sniff(sys.argv[1]), "raw")
        print("read")
    except ingest.IngestError as err:
        print(err)
    """
)
#: Run _WORK (argv[1]) on a file (argv[2]) in a grandchild process and print its peak RSS in
#: MiB (getrusage of the children), its time and its outcome. A process forked from the test
#: itself would count the test's memory in its peak.
_MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys, time
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    outcome = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
    print(f"{peak} {seconds:.2f} {outcome}")
    """
)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("giga_line.csv", "longer than 1 MB"),
        ("zip_bomb.xlsx", "possible zip bomb"),
        ("ratio_bomb.xlsx", "possible zip bomb"),
    ],
)
def test_the_largest_inputs_are_refused_by_ingest_in_bounded_memory_and_time(
    generated: Path, name: str, fragment: str
) -> None:
    """Sniffing and reading run in a fresh interpreter whose peak RSS is measured: a 1 GiB
    line or a 1.5 GiB sheet must never be held in memory."""
    path = make.generate(name, generated)
    try:
        out = (
            subprocess.run(
                [sys.executable, "-c", _MEASURE, _WORK, str(path)],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=Path(__file__).resolve().parent.parent,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    finally:
        if path.stat().st_size > 100 * make.MIB:
            path.unlink()
    peak_mib, seconds, outcome = out.split(" ", 2)
    assert fragment in outcome
    assert int(peak_mib) < 400, out
    assert float(seconds) < 20, out


def test_a_real_workbook_with_comments_formats_and_thousands_of_rows_passes_the_archive_check(
    tmp_path: Path,
) -> None:
    """No false alarm: xlsxwriter's parts (styles, comments in VML, conditional formats,
    merged cells, an autofilter, a second sheet) and 20,000 rows stay under every limit."""
    path = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Factures")
    ws.write_row(0, 0, ["N° facture", "Code client", "Date facture", "Montant TTC"])
    for i in range(1, 20_001):
        ws.write_row(i, 0, [f"F{i:05d}", f"C{i % 97}", "2026-01-05", i / 4])
    ws.write_comment("A1", "exporté le 31/01/2026")
    ws.merge_range("F1:H1", "Balance âgée")
    ws.conditional_format("D2:D20001", {"type": "cell", "criteria": ">", "value": 1000})
    ws.autofilter("A1:D20001")
    wb.add_worksheet("Notes").write("A1", "rien")
    wb.close()
    info = SourceInfo(name=path.name, path=path, kind="xlsx")
    check_archive(info)
    assert info.archive_checked
    workspace = Workspace(tmp_path / "workspace.duckdb")
    try:
        report = load_files(workspace, [InputFile(path)], bounded=False)
    finally:
        workspace.close()
    # 0.25 + 0.50 + ... + 5000.00 = (20,000 x 20,001 / 2) / 4 = 50,002,500.00
    assert (report.rows_loaded, report.files[0].amount_loaded) == (20_000, Decimal("50002500.00"))
