"""Output safety: formula-like text is neutralised in every export (numbers stay numbers), and
customer names holding HTML or script are shown as text in tables, charts and titles."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from hypothesis import given
from hypothesis import strategies as hs
from python_calamine import CalamineWorkbook
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from analytics import credit_views, i18n, report, safety
from analytics.pipeline import InputFile, load_files
from analytics.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'
TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]


# -- the helper --------------------------------------------------------------------------------
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_text_starting_with_a_formula_trigger_gets_a_leading_apostrophe(trigger):
    assert safety.neutralise(trigger + "SUM(A1:A9)") == "'" + trigger + "SUM(A1:A9)"


@pytest.mark.parametrize(
    "value",
    ["Dupont SA", "", "a=b", " =1", -12.5, Decimal("-300.00"), 7, None, date(2026, 1, 2), True],
)
def test_plain_text_numbers_dates_and_none_are_left_as_they_are(value):
    assert safety.neutralise(value) == value
    assert type(safety.neutralise(value)) is type(value)


@given(hs.text(max_size=30))
def test_neutralised_text_never_starts_with_a_trigger_and_loses_nothing(text):
    out = safety.neutralise(text)
    assert not out.startswith(tuple(TRIGGERS))
    if text.startswith(tuple(TRIGGERS)):
        assert out == "'" + text
    else:
        assert out == text


def test_a_neutralised_frame_keeps_numbers_numeric_and_quotes_only_formula_text():
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "Dupont", None, "-Martin"],
            "amount": [-1.5, 2.0, 3.0, -4.25],
            "mixed": [Decimal("-1.00"), "@SUM(A1)", None, 3],
            "+header": [1, 2, 3, 4],
        }
    )
    out = safety.neutralise_frame(frame)
    assert list(out["name"])[:2] == ["'=1+1", "Dupont"] and out["name"].iloc[3] == "'-Martin"
    assert pd.isna(out["name"].iloc[2])
    assert out["amount"].dtype == frame["amount"].dtype
    assert list(out["amount"]) == [-1.5, 2.0, 3.0, -4.25]
    assert list(out["mixed"]) == [Decimal("-1.00"), "'@SUM(A1)", None, 3]
    assert list(out.columns) == ["name", "amount", "mixed", "'+header"]
    assert frame["name"].iloc[0] == "=1+1", "the input frame is not changed"


def test_the_rejected_rows_csv_quotes_hostile_raw_lines_and_keeps_line_numbers():
    """The Data page's rejects download: a raw line ``=cmd|' /C calc'!A0`` and a reason
    starting with ``-`` come back with an apostrophe; line numbers stay plain numbers."""
    rejects = pd.DataFrame(
        {
            "source_file": ["f.csv", "f.csv"],
            "table_name": ["invoices", "invoices"],
            "line_no": [3, 7],
            "reason": ["-bad amount", "missing due date"],
            "raw": ["=cmd|' /C calc'!A0", "FA-1;C1;@x"],
        }
    )
    text = safety.frame_to_csv(rejects).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["source_file", "table_name", "line_no", "reason", "raw"]
    assert rows[1] == ["f.csv", "invoices", "3", "'-bad amount", "'=cmd|' /C calc'!A0"]
    assert rows[2] == ["f.csv", "invoices", "7", "missing due date", "FA-1;C1;@x"]


# -- the exports -------------------------------------------------------------------------------
def _formulas(xlsx: bytes) -> list[str]:
    """Every formula of every sheet of a workbook (the text of its ``<f>`` elements)."""
    found = []
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                found += re.findall(r"<f>(.*?)</f>", z.read(name).decode("utf-8"))
    return found


def _cells(xlsx: bytes, tmp_path: Path) -> list[list]:
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx)
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def _aged_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["@C1", "C2"],
            "customer_name": [FORMULA_NAME, HOSTILE_NAME],
            "currency": ["EUR", "EUR"],
            "not_due": [Decimal("-50.00"), Decimal("10.00")],
            "total": [Decimal("-50.00"), Decimal("10.00")],
        }
    )


def test_the_aged_balance_workbook_has_no_formula_but_its_totals(tmp_path):
    """Two customers, one named like a HYPERLINK formula: the only formulas of the workbook
    are the two SUM totals (not_due and total); the name is text with an apostrophe and the
    negative balance is the number -50."""
    book = report.aged_balance_xlsx(_aged_rows(), None, ["not_due"], "en", date(2026, 10, 31))
    assert _formulas(book) == ["SUM(D4:D5)", "SUM(E4:E5)"]
    rows = _cells(book, tmp_path)
    assert rows[3][:4] == ["'@C1", "'" + FORMULA_NAME, "EUR", -50.0]
    assert rows[4][1] == HOSTILE_NAME


def test_the_customer_csv_export_quotes_formula_text_and_headers_and_keeps_negative_amounts():
    frame = pd.DataFrame(
        {"customer_name": [FORMULA_NAME], "amount": [Decimal("-12.50")], "=x": ["+1"]}
    )
    text = credit_views.frame_csv(frame, "en").decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[2] == "'=x"
    assert row == ["'" + FORMULA_NAME, "-12.50", "'+1"]


def test_the_worklist_workbook_writes_hostile_names_as_text_not_formulas(tmp_path):
    columns = [name for name, _ in credit_views.EXPORT_COLUMNS]
    item = {name: None for name in columns}
    item.update(customer_id="C1", customer_name=FORMULA_NAME)
    book = credit_views.worklist_xlsx(pd.DataFrame([item]), "fr", date(2026, 10, 31))
    assert all(f.startswith("SUM(") for f in _formulas(book))
    rows = _cells(book, tmp_path)
    assert "'" + FORMULA_NAME in rows[3]


# -- what the pages show -----------------------------------------------------------------------
def test_no_page_renders_raw_html():
    """Streamlit escapes HTML unless told otherwise: no page or shell may tell it."""
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    offending = [
        f"{p.name}: {needle}"
        for p in sources
        for needle in ("unsafe_allow_html", "st.html(", "components.html", "components.v1")
        if needle in p.read_text(encoding="utf-8")
    ]
    assert offending == []


@pytest.fixture
def hostile_workspace(tmp_path, monkeypatch) -> Path:
    """A dataset named with HTML, of three invoices whose customers are named with HTML and
    with a formula."""
    source = tmp_path / "hostile.csv"
    source.write_text(
        "N° facture;Code client;Raison sociale;Date facture;Date d'échéance;Montant TTC\n"
        f"F1;C1;{HOSTILE_NAME};05/01/2026;04/02/2026;1 000,00\n"
        f"F2;C1;{HOSTILE_NAME};12/01/2026;11/02/2026;500,00\n"
        f'F3;C2;"{FORMULA_NAME.replace(chr(34), chr(34) * 2)}";15/01/2026;14/02/2026;250,00\n',
        encoding="utf-8",
    )
    path = tmp_path / "hostile.duckdb"
    with Workspace(path) as ws:
        load_files(ws, [InputFile(source)], HOSTILE_NAME, bounded=False)
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(path))
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def _markdown_elements(at: AppTest) -> list:
    return [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success]


@pytest.mark.parametrize("page", ["aged_balance", "concentration", "customer", "data"])
def test_a_customer_named_with_html_is_shown_as_text(hostile_workspace, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.date_input(key="as_of").set_value(date(2026, 3, 31)).run()
    if page == "customer":
        at.query_params["customer"] = "C1"
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.get("html")
    for element in _markdown_elements(at):
        if "<img" in str(element.value):
            assert not element.proto.allow_html
    shown = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    charts = [json.dumps(json.loads(c.proto.spec)) for c in at.get("plotly_chart")]
    if page == "customer":
        subheaders = [s.value for s in at.subheader]
        assert i18n.escape_markdown(HOSTILE_NAME) in subheaders
    elif page == "concentration":
        assert any(HOSTILE_NAME in spec for spec in charts)
    else:
        assert any(HOSTILE_NAME in v for v in shown)
