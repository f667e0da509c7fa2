"""Bounded parsing: every upload is parsed in a child process within limits on file size,
columns, wall-clock time, CPU time and memory; a file over a limit gives a LoadError naming it,
and the workspace is left as it was."""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics import pipeline
from analytics.ingest import IngestError
from analytics.pipeline import InputFile, Limits, LoadError, load_files, preview_file
from analytics.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
STYLES = ROOT / "tests" / "data" / "styles"
SMALL = STYLES / "sage_fr_cp1252.csv"
HEADER = "N° facture;Code client;Raison sociale;Date facture;Date d'échéance;Montant TTC\n"


def ledger_csv(path: Path, n: int) -> Path:
    """``n`` valid invoices in the French Sage layout."""
    rows = (
        f"F{i:07d};C{i % 997:04d};Client {i % 997};{1 + i % 28:02d}/01/2026;"
        f"{1 + i % 28:02d}/03/2026;{i % 5000},{i % 100:02d}\n"
        for i in range(n)
    )
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    """200,000 invoices (about 11 MB): several seconds of parsing."""
    return ledger_csv(tmp_path_factory.mktemp("big") / "grand_livre.csv", 200_000)


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as w:
        yield w


def load_leftovers(folder: Path) -> list[Path]:
    """What a load left in ``folder`` (the open workspace's open-items cache is not a load's)."""
    return [p for p in folder.iterdir() if not p.name.startswith("encours-cache-")]


@pytest.fixture(autouse=True)
def private_temp(tmp_path, monkeypatch) -> Path:
    """The child's working folders go under this test's own folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def own_children() -> list[int]:
    """Processes whose parent is this one."""
    me = f"PPid:\t{os.getpid()}\n"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path("/proc", pid, "status").read_text()
        except OSError:
            continue
        if me in status:
            found.append(int(pid))
    return found


def test_a_small_file_loads_through_the_child_like_in_process(ws, tmp_path):
    bounded = load_files(ws, [InputFile(SMALL)])
    with Workspace(tmp_path / "other.duckdb") as other:
        direct = load_files(other, [InputFile(SMALL)], bounded=False)
    assert (bounded.rows_read, bounded.rows_loaded, bounded.rows_rejected) == (
        direct.rows_read,
        direct.rows_loaded,
        direct.rows_rejected,
    )
    assert bounded.files[0].amount_loaded == direct.files[0].amount_loaded
    assert bounded.files[0].mapping == direct.files[0].mapping


def test_the_load_reports_its_stages_in_order(ws):
    stages: list[str] = []
    load_files(ws, [InputFile(SMALL)], progress=stages.append)
    assert stages == ["parsing", "writing", "done"]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(ws, tmp_path):
    big = ledger_csv(tmp_path / "trop_gros.csv", 2_000)
    with pytest.raises(LoadError, match=r"trop_gros\.csv: .*exceeded the 0\.05 MiB limit"):
        load_files(ws, [InputFile(big)], limits=Limits(max_file_mib=0.05))
    assert ws.datasets() == []


def test_a_file_with_more_columns_than_the_limit_is_refused(ws, tmp_path):
    wide = tmp_path / "large.csv"
    wide.write_text(HEADER.replace("\n", ";A;B;C\n") + "F1;C1;X;01/01/2026;;1;a;b;c\n")
    with pytest.raises(LoadError, match=r"large\.csv: 9 columns, more than the 8 columns"):
        load_files(ws, [InputFile(wide)], limits=Limits(max_columns=8))
    assert ws.datasets() == []


def test_a_file_wider_than_any_ledger_is_refused_with_its_name(ws, tmp_path):
    wide = tmp_path / "mille.csv"
    wide.write_text(";".join(f"h{i}" for i in range(1500)) + "\n" + ";".join("1" * 1500) + "\n")
    with pytest.raises((LoadError, IngestError), match=r"mille\.csv.*1500 columns"):
        load_files(ws, [InputFile(wide)])


def test_a_parse_over_the_time_limit_is_stopped_and_names_the_file(ws, big_file, private_temp):
    """0.1 s: the child's interpreter and imports alone take longer (about 0.5 s here), so the
    limit is reached however fast the machine parses (a quiet machine parses the 200,000
    invoices within 1 s)."""
    load_files(ws, [InputFile(SMALL)])
    started = time.monotonic()
    with pytest.raises(LoadError, match=r"grand_livre\.csv: .*exceeded the 0\.1 s time limit"):
        load_files(ws, [InputFile(big_file)], limits=Limits(seconds=0.1))
    assert time.monotonic() - started < 10
    assert [d.name for d in ws.datasets()] == [SMALL.name]
    assert own_children() == []
    assert load_leftovers(private_temp) == []


def test_a_parse_over_the_cpu_limit_is_stopped(ws, tmp_path):
    """A million invoices (about 56 MB) take several CPU seconds to parse; 200,000 took 0.8 s
    on a fast machine, under the 1 s limit, so this file is five times larger."""
    huge = ledger_csv(tmp_path / "grand_livre.csv", 1_000_000)
    with pytest.raises(LoadError, match=r"grand_livre\.csv: .*1 s CPU time"):
        load_files(ws, [InputFile(huge)], limits=Limits(cpu_seconds=1))
    assert ws.datasets() == []


def test_a_parse_writing_more_than_the_disk_limit_is_stopped(ws, big_file):
    """The staged rows of 200,000 invoices take several MiB on disk, more than 1 MiB."""
    with pytest.raises(LoadError, match=r"grand_livre\.csv: .*exceeded the 1 MiB disk limit"):
        load_files(ws, [InputFile(big_file)], limits=Limits(disk_mib=1))
    assert ws.datasets() == []


def test_the_memory_limit_of_the_child_holds(ws):
    """The sample loads within the default limits; 1000 MiB of address space is not enough for
    the child to parse it, and the load fails with the limit named, not the server."""
    sample = [InputFile(p) for p in sorted((ROOT / "data" / "sample").glob("*.csv"))]
    with pytest.raises(LoadError, match=r"\.csv.*exceeded the 1000 MiB memory limit"):
        load_files(ws, sample, limits=Limits(memory_mib=1000))
    assert ws.datasets() == []
    assert load_files(ws, sample).rows_loaded > 40_000


def test_a_file_the_child_cannot_read_keeps_its_reason(ws):
    with pytest.raises(IngestError, match=r"nul_bytes\.csv: binary content"):
        load_files(ws, [InputFile(ROOT / "tests" / "data" / "malformed" / "nul_bytes.csv")])


def test_the_temporary_folder_of_a_load_is_removed(ws, private_temp):
    load_files(ws, [InputFile(SMALL)])
    assert load_leftovers(private_temp) == []


def test_a_preview_reads_the_headers_in_the_child_and_proposes_the_mapping(ws):
    preview = preview_file(ws, InputFile(SMALL))
    assert preview.headers[0] == "N° facture" and preview.rows == 10
    assert preview.mapping.table == "invoices"
    assert preview.mapping.matches["amount"].source_header == "Montant TTC"


def test_a_preview_uses_the_mapping_saved_for_those_headers(ws, tmp_path):
    copy = tmp_path / "copie.csv"
    copy.write_bytes(SMALL.read_bytes() + b"FA-9;C9;Neuf;01/02/2026;01/03/2026;9,00\n")
    assert preview_file(ws, InputFile(copy)).mapping.matches["amount"].method != "saved"
    load_files(ws, [InputFile(SMALL)])
    preview = preview_file(ws, InputFile(copy))
    assert preview.mapping.matches["amount"].method == "saved"


def test_a_preview_respects_the_size_limit(ws):
    with pytest.raises(LoadError, match=r"sage_fr_cp1252\.csv: .*MiB limit"):
        preview_file(ws, InputFile(SMALL), limits=Limits(max_file_mib=0.0001))


def test_a_parse_over_the_database_memory_limit_says_which_limits_hold(monkeypatch):
    """DuckDB's out-of-memory error in the child names both limits and the variable."""
    monkeypatch.setenv("ENCOURS_MEMORY_LIMIT", "256MiB")
    limits = Limits(memory_mib=1000)
    error = pipeline._error_to_json(duckdb.OutOfMemoryException("failed to pin block"))
    message = str(pipeline._error_from_json(error, "factures.csv", limits))
    assert message == (
        "factures.csv: the parse exceeded its memory limit (256 MiB for its database "
        "(ENCOURS_MEMORY_LIMIT), 1000 MiB in all); nothing was loaded"
    )
    monkeypatch.delenv("ENCOURS_MEMORY_LIMIT")
    message = str(pipeline._error_from_json(error, "factures.csv", limits))
    assert "(500 MiB for its database, 1000 MiB in all)" in message


def test_an_allocation_refused_by_the_address_space_names_the_childs_limit():
    """DuckDB reports a failed malloc (the child's address-space limit, below DuckDB's own
    limit) as out of memory too; it names the child's limit, not the database's."""
    limits = Limits(memory_mib=1000)
    refused = duckdb.OutOfMemoryException(
        "Out of Memory Error: Failed to allocate block of 16777216 bytes (bad allocation)"
    )
    message = str(pipeline._error_from_json(pipeline._error_to_json(refused), "a.csv", limits))
    assert message == "a.csv: the parse exceeded the 1000 MiB memory limit; nothing was loaded"


def _rows(ws: Workspace, table: str, dataset_id: int) -> list[tuple]:
    sql = "SELECT * EXCLUDE (dataset_id) FROM " + table + " WHERE dataset_id = ? ORDER BY ALL"
    return ws.cursor().execute(sql, [dataset_id]).fetchall()


def test_a_large_load_is_staged_on_disk_and_read_back_a_batch_at_a_time(
    ws, tmp_path, monkeypatch, private_temp
):
    """Files that outgrow the child's DuckDB memory (here any file: the factor is made huge)
    are staged in a database file and handed over compressed, then read back a batch at a time.
    The dataset is the one the in-process load writes, rejected rows and flags included."""
    messy = ledger_csv(tmp_path / "factures.csv", 3_000)
    with messy.open("a", encoding="utf-8") as fh:
        fh.write("F0000001;C0001;Client 1;02/01/2026;02/03/2026;10,00\n")  # duplicate id
        fh.write("FX1;C0002;Client 2;31/02/2026;01/03/2026;5,00\n")  # no 31 February
        fh.write("FX2;C0003;Client 3;01/01/2026;01/03/2026;abc\n")  # not an amount
        fh.write("FX3;C0004;Client 4;05/01/2026;01/01/2026;7,50\n")  # due before invoice
    files = [InputFile(messy), InputFile(ROOT / "data" / "sample" / "customers.csv")]
    streamed: list[str] = []
    stream = pipeline._stream_arrow

    def spy(path: Path, opened: ExitStack):
        streamed.append(path.stem)
        if path.stem == "invoices":  # compressed: far smaller than the rows it holds
            with ExitStack() as once:
                assert path.stat().st_size < stream(path, once).read_all().nbytes / 2
        return stream(path, opened)

    monkeypatch.setattr(pipeline, "_stream_arrow", spy)
    monkeypatch.setattr(pipeline, "STAGING_FACTOR", 10**12)
    assert pipeline.stages_on_disk(files, pipeline.DEFAULT_LIMITS)
    large = load_files(ws, files)
    assert sorted(streamed) == ["customers", "invoices", "quality_flags", "rejected_rows"]
    assert large.rows_rejected == 3
    assert load_leftovers(private_temp) == []
    with Workspace(tmp_path / "direct.duckdb") as other:
        direct = load_files(other, files, bounded=False)
        for table in ("invoices", "customers", "rejected_rows", "quality_flags"):
            got = _rows(ws, table, large.dataset_id)
            assert got == _rows(other, table, direct.dataset_id), table
            assert got, table


def test_a_load_within_the_staging_memory_stays_in_memory(monkeypatch):
    """3 x the files' bytes against the child's DuckDB memory (half its address space)."""
    assert not pipeline.stages_on_disk([InputFile(SMALL)], pipeline.DEFAULT_LIMITS)
    size = SMALL.stat().st_size
    limits = Limits(memory_mib=128)  # DuckDB: max(64, 128 * 0.5) = 64 MiB
    monkeypatch.setattr(pipeline, "STAGING_FACTOR", 64 * pipeline.MIB // size)
    assert not pipeline.stages_on_disk([InputFile(SMALL)], limits)  # size * factor <= 64 MiB
    monkeypatch.setattr(pipeline, "STAGING_FACTOR", 64 * pipeline.MIB // size + 1)
    assert pipeline.stages_on_disk([InputFile(SMALL)], limits)


def test_a_compressed_handover_file_reads_back_the_same_rows(tmp_path):
    table = pa.table({"k": list(range(50_000)), "v": ["même texte"] * 50_000})
    plain, packed = tmp_path / "plain.arrow", tmp_path / "packed.arrow"
    pipeline._write_arrow(plain, table)
    pipeline._write_arrow(packed, table.to_reader(max_chunksize=4_096), "zstd")
    assert packed.stat().st_size < plain.stat().st_size / 4
    with ExitStack() as opened:
        reader = pipeline._stream_arrow(packed, opened)
        assert open_files("packed.arrow") == 1
        assert reader.read_all().equals(table)
    assert open_files("packed.arrow") == 0
    assert pipeline._read_arrow(plain).equals(table)


def open_files(suffix: str) -> int:
    """How many of this process's file descriptors are open on a file whose name (deleted or
    not) ends with ``suffix``."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.removesuffix(" (deleted)").endswith(suffix):
            found += 1
    return found


def test_a_large_load_that_fails_while_writing_closes_its_handover_files(ws, monkeypatch):
    """The streamed Arrow files are closed when the write fails, even while the error's
    traceback (which holds their readers) is kept: their disk space is given back."""
    monkeypatch.setattr(pipeline, "STAGING_FACTOR", 10**12)

    def disk_full(ws, prepared, data, *args):
        readers = list(data.values())  # as the store's frames hold them  # noqa: F841
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr(pipeline, "_write_once", disk_full)
    with pytest.raises(duckdb.IOException) as failed:
        load_files(ws, [InputFile(SMALL)])
    assert failed.traceback  # held while the files are counted
    assert open_files(".arrow") == 0
    assert ws.datasets() == []


def test_a_compressed_file_is_measured_by_its_expansion_without_being_parsed(tmp_path, monkeypatch):
    """A Parquet file (or a spreadsheet) counts PACKED_EXPANSION times its size: only its
    first bytes are read, so a hostile file is parsed in the child alone."""
    path = tmp_path / "factures.parquet"
    pq.write_table(pa.table({"invoice_id": ["FA-0001"] * 20_000}), path, compression="zstd")
    size = path.stat().st_size
    assert pipeline._unpacked_bytes(path) == size * pipeline.PACKED_EXPANSION
    fake = tmp_path / "faux.parquet"
    fake.write_bytes(b"PAR1" + b"\xff" * 100)  # not a readable Parquet file: not parsed here
    assert pipeline._unpacked_bytes(fake) == 104 * pipeline.PACKED_EXPANSION
    assert pipeline._unpacked_bytes(SMALL) == SMALL.stat().st_size
    limits = Limits(memory_mib=128)  # DuckDB: 64 MiB
    expanded = size * pipeline.PACKED_EXPANSION
    monkeypatch.setattr(pipeline, "STAGING_FACTOR", 64 * pipeline.MIB // expanded + 1)
    assert size * pipeline.STAGING_FACTOR <= 64 * pipeline.MIB
    assert pipeline.stages_on_disk([InputFile(path)], limits)


def test_the_child_stages_a_large_load_in_a_database_file_and_removes_it(tmp_path, monkeypatch):
    seen: list[tuple[str, bool]] = []
    stage = pipeline.stage_files

    def spy(*args, **kwargs):
        staging = stage(*args, **kwargs)
        seen.append((kwargs["database"], Path(kwargs["database"]).is_file()))
        return staging

    monkeypatch.setattr(pipeline, "stage_files", spy)
    job = tmp_path / "job"
    job.mkdir()
    limits = pipeline.DEFAULT_LIMITS
    config = pipeline._staging_config(limits, job)
    with duckdb.connect() as saved:
        hashes = [pipeline.sha256_of(SMALL)]
        result = pipeline._child_stage(
            job, [InputFile(SMALL)], hashes, saved, limits, config, lambda _: None, True
        )
    assert seen == [(str(job / "staging.duckdb"), True)]
    assert list(job.glob("staging.duckdb*")) == []
    assert sorted(p.stem for p in job.glob("*.arrow")) == sorted(result["targets"])
