"""Write the test corpus: export-style ledgers (tests/data/styles), malformed files
(tests/data/malformed) and tests/data/manifest.json with the outcome expected from ingest.

Run ``python tests/data/make_corpus.py`` from the repository root; the output is
deterministic, so binary files (XLSX, Parquet) are reproducible.

Every style renders the same ten documents (one credit note) in the conventions of one ERP.
Their amounts add up to the control total below, computed by hand:

    1234.56 + 18750.00 + 89.90 - 250.00 + 5400.10 + 1250000.00 + 333.33 + 0.99 + 12999.99
    + 7.50 = 1288566.37
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STYLES = HERE / "styles"
MALFORMED = HERE / "malformed"

CONTROL_TOTAL = "1288566.37"

D = dt.date
#: invoice number, customer account, customer name, invoice date, due date, amount incl. tax
DOCS: list[tuple[str, str, str, dt.date, dt.date, Decimal]] = [
    (
        "FA-2026-0001",
        "C001",
        "Boulangerie Martin",
        D(2026, 1, 5),
        D(2026, 2, 4),
        Decimal("1234.56"),
    ),
    (
        "FA-2026-0002",
        "C002",
        "Société Générale d'Équipement",
        D(2026, 1, 12),
        D(2026, 3, 13),
        Decimal("18750.00"),
    ),
    (
        "FA-2026-0003",
        "C001",
        "Boulangerie Martin",
        D(2026, 1, 20),
        D(2026, 2, 19),
        Decimal("89.90"),
    ),
    ("AV-2026-0001", "C003", "Café de l'Été", D(2026, 1, 25), D(2026, 1, 25), Decimal("-250.00")),
    (
        "FA-2026-0004",
        "C004",
        "Menuiserie Dupré & Fils",
        D(2026, 2, 2),
        D(2026, 3, 4),
        Decimal("5400.10"),
    ),
    (
        "FA-2026-0005",
        "C005",
        "Garage Lefèvre",
        D(2026, 2, 14),
        D(2026, 4, 15),
        Decimal("1250000.00"),
    ),
    (
        "FA-2026-0006",
        "C002",
        "Société Générale d'Équipement",
        D(2026, 2, 28),
        D(2026, 3, 30),
        Decimal("333.33"),
    ),
    ("FA-2026-0007", "C006", "Hôtel Bellevue", D(2026, 3, 3), D(2026, 4, 2), Decimal("0.99")),
    ("FA-2026-0008", "C003", "Café de l'Été", D(2026, 3, 15), D(2026, 5, 14), Decimal("12999.99")),
    ("FA-2026-0009", "C007", "Pharmacie Süß", D(2026, 3, 31), D(2026, 4, 30), Decimal("7.50")),
]
assert str(sum(d[5] for d in DOCS)) == CONTROL_TOTAL


# --------------------------------------------------------------------------------------------
# Formatting helpers


def fr_amount(x: Decimal, sep: str = "\u00a0") -> str:
    """1250000.00 -> '1 250 000,00' with the given thousands separator; '-250,00'."""
    sign = "-" if x < 0 else ""
    whole, frac = f"{abs(x):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", sep)
    return f"{sign}{groups},{frac}"


def us_amount(x: Decimal, symbol: str = "") -> str:
    sign = "-" if x < 0 else ""
    return f"{sign}{symbol}{abs(x):,.2f}"


def sap_amount(x: Decimal) -> str:
    """SAP: '1.250.000,00' and a trailing minus '250,00-'."""
    text = fr_amount(abs(x), ".")
    return text + ("-" if x < 0 else "")


def parens_amount(x: Decimal) -> str:
    return f"({abs(x):,.2f})" if x < 0 else f"{x:,.2f}"


def swiss_amount(x: Decimal) -> str:
    sign = "-" if x < 0 else ""
    return sign + f"{abs(x):,.2f}".replace(",", "'")


def excel_serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def csv_cell(value: str, sep: str) -> str:
    if any(ch in value for ch in (sep, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_text(
    path: Path,
    headers: list[str],
    rows: list[list[str]],
    *,
    sep: str,
    encoding: str = "utf-8",
    newline: str = "\n",
    before: list[str] | None = None,
    after: list[str] | None = None,
) -> None:
    lines = list(before or [])
    lines.append(sep.join(csv_cell(h, sep) for h in headers))
    lines += [sep.join(csv_cell(v, sep) for v in r) for r in rows]
    lines += list(after or [])
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


# --------------------------------------------------------------------------------------------
# Styles

Manifest = dict[str, Any]


def _style(
    file: str,
    *,
    headers: list[str],
    amount_header: str,
    date_headers: list[str],
    header_row: int,
    encoding: str | None,
    separator: str | None,
    kind: str = "csv",
    decimal_mark: str | None = None,
    date_order: str | None = None,
    sheet: str | None = None,
    dates: list[tuple[int, str, str]],
    rows_read: int = len(DOCS),
) -> Manifest:
    return {
        "file": f"styles/{file}",
        "kind": kind,
        "rows_read": rows_read,
        "headers": headers,
        "encoding": encoding,
        "separator": separator,
        "header_row": header_row,
        "sheet": sheet,
        "amount_header": amount_header,
        "date_headers": date_headers,
        "decimal_mark": decimal_mark,
        "date_order": date_order,
        "control_total": CONTROL_TOTAL,
        "dates": [{"line_no": ln, "header": h, "value": v} for ln, h, v in dates],
        "rejects": [],
    }


def style_sage() -> Manifest:
    headers = [
        "N° facture",
        "Code client",
        "Raison sociale",
        "Date facture",
        "Date d'échéance",
        "Montant TTC",
    ]
    rows = [
        [n, c, name, f"{d:%d/%m/%Y}", f"{e:%d/%m/%Y}", fr_amount(a)] for n, c, name, d, e, a in DOCS
    ]
    write_text(
        STYLES / "sage_fr_cp1252.csv", headers, rows, sep=";", encoding="cp1252", newline="\r\n"
    )
    return _style(
        "sage_fr_cp1252.csv",
        headers=headers,
        amount_header="Montant TTC",
        date_headers=["Date facture", "Date d'échéance"],
        header_row=1,
        encoding="cp1252",
        separator=";",
        decimal_mark=",",
        date_order="dmy",
        dates=[(2, "Date facture", "2026-01-05"), (11, "Date d'échéance", "2026-04-30")],
    )


def style_sap() -> Manifest:
    headers = [
        "Account",
        "Document Number",
        "Document Date",
        "Net due date",
        "Amount in local currency",
        "LCurr",
        "Clearing date",
    ]
    rows = [
        [
            c,
            n.replace("FA-2026-", "90000").replace("AV-2026-", "17000"),
            f"{d:%d.%m.%Y}",
            f"{e:%d.%m.%Y}",
            sap_amount(a),
            "EUR",
            "",
        ]
        for n, c, _, d, e, a in DOCS
    ]
    rows[2][6] = "19.02.2026"
    before = ["Customer Line Item Display", "", "\tCompany Code 1000"]
    write_text(STYLES / "sap_fbl5n.txt", headers, rows, sep="\t", before=before)
    return _style(
        "sap_fbl5n.txt",
        headers=headers,
        amount_header="Amount in local currency",
        date_headers=["Document Date", "Net due date", "Clearing date"],
        header_row=4,
        encoding="utf-8",
        separator="\t",
        decimal_mark=",",
        date_order="dmy",
        dates=[
            (5, "Document Date", "2026-01-05"),
            (7, "Clearing date", "2026-02-19"),
            (14, "Net due date", "2026-04-30"),
        ],
    )


def style_quickbooks() -> Manifest:
    headers = ["Type", "Date", "Num", "Customer", "Due Date", "Amount", "Open Balance"]
    rows = [
        [
            "Credit Memo" if a < 0 else "Invoice",
            f"{d:%m/%d/%Y}",
            n,
            name,
            f"{e:%m/%d/%Y}",
            us_amount(a, "$"),
            us_amount(a, "$"),
        ]
        for n, _, name, d, e, a in DOCS
    ]
    write_text(STYLES / "quickbooks_us.csv", headers, rows, sep=",")
    return _style(
        "quickbooks_us.csv",
        headers=headers,
        amount_header="Amount",
        date_headers=["Date", "Due Date"],
        header_row=1,
        encoding="utf-8",
        separator=",",
        decimal_mark=".",
        date_order="mdy",
        dates=[(2, "Date", "2026-01-05"), (4, "Due Date", "2026-02-19")],
    )


def style_xlsx() -> Manifest:
    import xlsxwriter

    headers = ["Compte", "Raison sociale", "N° pièce", "Date pièce", "Échéance", "Solde", "Litige"]
    path = STYLES / "cegid_balance_agee.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2026, 4, 1)})
    wb.add_worksheet("Couverture")
    ws = wb.add_worksheet("Balance âgée")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    money = wb.add_format({"num_format": "# ##0,00"})
    ws.write(0, 0, "Balance âgée clients")
    ws.write(1, 0, "Arrêtée au")
    ws.write_datetime(1, 1, dt.datetime(2026, 3, 31), date_fmt)
    for j, h in enumerate(headers):
        ws.write_string(3, j, h)
    for i, (n, c, name, d, e, a) in enumerate(DOCS, start=4):
        ws.write_string(i, 0, c)
        ws.write_string(i, 1, name)
        ws.write_string(i, 2, n)
        ws.write_datetime(i, 3, dt.datetime.combine(d, dt.time()), date_fmt)
        ws.write_datetime(i, 4, dt.datetime.combine(e, dt.time()), date_fmt)
        ws.write_number(i, 5, float(a), money)
        if n == "FA-2026-0004":
            ws.write_boolean(i, 6, True)
    wb.close()
    return _style(
        "cegid_balance_agee.xlsx",
        kind="xlsx",
        headers=headers,
        amount_header="Solde",
        date_headers=["Date pièce", "Échéance"],
        header_row=4,
        encoding=None,
        separator=None,
        sheet="Balance âgée",
        dates=[(5, "Date pièce", "2026-01-05"), (14, "Échéance", "2026-04-30")],
    )


def style_parquet() -> Manifest:
    import pyarrow as pa
    import pyarrow.parquet as pq

    headers = ["Number", "Partner", "Invoice/Bill Date", "Due Date", "Amount Due", "Currency"]
    table = pa.table(
        {
            "Number": [d[0] for d in DOCS],
            "Partner": [d[2] for d in DOCS],
            "Invoice/Bill Date": pa.array([d[3] for d in DOCS], pa.date32()),
            "Due Date": pa.array([d[4] for d in DOCS], pa.date32()),
            "Amount Due": pa.array([d[5] for d in DOCS], pa.decimal128(18, 2)),
            "Currency": ["EUR"] * len(DOCS),
        }
    )
    pq.write_table(table, STYLES / "odoo_export.parquet", compression="snappy")
    return _style(
        "odoo_export.parquet",
        kind="parquet",
        headers=headers,
        amount_header="Amount Due",
        date_headers=["Invoice/Bill Date", "Due Date"],
        header_row=0,
        encoding=None,
        separator=None,
        decimal_mark=".",
        date_order="ymd",
        dates=[(1, "Invoice/Bill Date", "2026-01-05"), (10, "Due Date", "2026-04-30")],
    )


def style_bom() -> Manifest:
    headers = ["Numéro", "Client", "Date", "Échéance", "Montant", "Réglé"]
    rows = [
        [
            n,
            name,
            f"{d:%d/%m/%Y}",
            f"{e:%d/%m/%Y}",
            fr_amount(a, "\u202f"),
            "Oui" if i % 3 == 0 else "Non",
        ]
        for i, (n, _, name, d, e, a) in enumerate(DOCS)
    ]
    write_text(STYLES / "bom_utf8.csv", headers, rows, sep=";", encoding="utf-8-sig")
    return _style(
        "bom_utf8.csv",
        headers=headers,
        amount_header="Montant",
        date_headers=["Date", "Échéance"],
        header_row=1,
        encoding="utf-8-sig",
        separator=";",
        decimal_mark=",",
        date_order="dmy",
        dates=[(3, "Date", "2026-01-12"), (9, "Échéance", "2026-04-02")],
    )


def style_tsv() -> Manifest:
    headers = [
        "invoice_number",
        "customer_code",
        "customer_name",
        "invoice_date",
        "due_date",
        "amount",
    ]
    rows = [[n, c, name, d.isoformat(), e.isoformat(), f"{a:.2f}"] for n, c, name, d, e, a in DOCS]
    write_text(STYLES / "export.tsv", headers, rows, sep="\t")
    return _style(
        "export.tsv",
        headers=headers,
        amount_header="amount",
        date_headers=["invoice_date", "due_date"],
        header_row=1,
        encoding="utf-8",
        separator="\t",
        decimal_mark=".",
        date_order="ymd",
        dates=[(2, "invoice_date", "2026-01-05"), (11, "due_date", "2026-04-30")],
    )


def style_pipe() -> Manifest:
    headers = ["Facture", "Tiers", "Libellé tiers", "Date", "Date échéance", "Montant"]
    rows = [
        [n, c, name, f"{d:%d/%m/%Y}", f"{e:%d/%m/%Y}", f"{a:.2f}".replace(".", ",")]
        for n, c, name, d, e, a in DOCS
    ]
    write_text(STYLES / "pipe_separated.txt", headers, rows, sep="|")
    return _style(
        "pipe_separated.txt",
        headers=headers,
        amount_header="Montant",
        date_headers=["Date", "Date échéance"],
        header_row=1,
        encoding="utf-8",
        separator="|",
        decimal_mark=",",
        date_order="dmy",
        dates=[(6, "Date", "2026-02-02"), (8, "Date échéance", "2026-03-30")],
    )


def style_odoo_csv() -> Manifest:
    headers = ["Number", "Customer", "Invoice Date", "Due Date", "Total", "Amount Due", "Status"]
    rows = [
        [n, name, d.isoformat(), e.isoformat(), f"{a:.2f}", f"{a:.2f}", "posted"]
        for n, _, name, d, e, a in DOCS
    ]
    write_text(STYLES / "odoo_en.csv", headers, rows, sep=",")
    return _style(
        "odoo_en.csv",
        headers=headers,
        amount_header="Amount Due",
        date_headers=["Invoice Date", "Due Date"],
        header_row=1,
        encoding="utf-8",
        separator=",",
        decimal_mark=".",
        date_order="ymd",
        dates=[(2, "Invoice Date", "2026-01-05"), (11, "Due Date", "2026-04-30")],
    )


def style_xero() -> Manifest:
    headers = [
        "ContactName",
        "InvoiceNumber",
        "Reference",
        "InvoiceDate",
        "DueDate",
        "Total",
        "AmountDue",
        "Currency",
    ]
    rows = [
        [name, n, "", f"{d.day} {d:%b %Y}", f"{e.day} {e:%b %Y}", f"{a:.2f}", f"{a:.2f}", "EUR"]
        for n, _, name, d, e, a in DOCS
    ]
    write_text(STYLES / "xero_aged_receivables.csv", headers, rows, sep=",")
    return _style(
        "xero_aged_receivables.csv",
        headers=headers,
        amount_header="AmountDue",
        date_headers=["InvoiceDate", "DueDate"],
        header_row=1,
        encoding="utf-8",
        separator=",",
        decimal_mark=".",
        date_order="dmy",
        dates=[(2, "InvoiceDate", "2026-01-05"), (11, "DueDate", "2026-04-30")],
    )


def style_cegid() -> Manifest:
    headers = ["Compte", "Libellé", "Référence", "Date pièce", "Date échéance", "Solde"]
    rows = [
        [f"411{c}", name, n, f"{d:%d/%m/%y}", f"{e:%d/%m/%y}", fr_amount(a, " ")]
        for n, c, name, d, e, a in DOCS
    ]
    write_text(
        STYLES / "cegid_grand_livre.csv", headers, rows, sep=";", encoding="latin-1", newline="\r\n"
    )
    return _style(
        "cegid_grand_livre.csv",
        headers=headers,
        amount_header="Solde",
        date_headers=["Date pièce", "Date échéance"],
        header_row=1,
        encoding="cp1252",
        separator=";",
        decimal_mark=",",
        date_order="dmy",
        dates=[(2, "Date pièce", "2026-01-05"), (11, "Date échéance", "2026-04-30")],
    )


def style_parens() -> Manifest:
    headers = ["Invoice No", "Customer", "Invoice Date", "Due Date", "Balance"]
    rows = [
        [n, name, d.isoformat(), e.isoformat(), parens_amount(a)] for n, _, name, d, e, a in DOCS
    ]
    write_text(STYLES / "accounting_parentheses.csv", headers, rows, sep=",")
    return _style(
        "accounting_parentheses.csv",
        headers=headers,
        amount_header="Balance",
        date_headers=["Invoice Date", "Due Date"],
        header_row=1,
        encoding="utf-8",
        separator=",",
        decimal_mark=".",
        date_order="ymd",
        dates=[(5, "Invoice Date", "2026-01-25"), (5, "Due Date", "2026-01-25")],
    )


def style_swiss() -> Manifest:
    headers = ["Rechnungsnummer", "Kunde", "Rechnungsdatum", "Fälligkeitsdatum", "Betrag CHF"]
    rows = [
        [n, name, f"{d:%d.%m.%Y}", f"{e:%d.%m.%Y}", swiss_amount(a)] for n, _, name, d, e, a in DOCS
    ]
    write_text(STYLES / "swiss_apostrophe.csv", headers, rows, sep=";")
    return _style(
        "swiss_apostrophe.csv",
        headers=headers,
        amount_header="Betrag CHF",
        date_headers=["Rechnungsdatum", "Fälligkeitsdatum"],
        header_row=1,
        encoding="utf-8",
        separator=";",
        decimal_mark=".",
        date_order="dmy",
        dates=[(2, "Rechnungsdatum", "2026-01-05"), (7, "Fälligkeitsdatum", "2026-04-15")],
    )


def style_serial() -> Manifest:
    headers = ["Invoice", "Client", "Invoice Date", "Due Date", "Amount Due"]
    rows = [
        [n, c, str(excel_serial(d)), f"{excel_serial(e)}.0", f"{a:.2f}"]
        for n, c, _, d, e, a in DOCS
    ]
    write_text(STYLES / "excel_serial_dates.csv", headers, rows, sep=",")
    return _style(
        "excel_serial_dates.csv",
        headers=headers,
        amount_header="Amount Due",
        date_headers=["Invoice Date", "Due Date"],
        header_row=1,
        encoding="utf-8",
        separator=",",
        decimal_mark=".",
        date_order="dmy",
        dates=[(2, "Invoice Date", "2026-01-05"), (11, "Due Date", "2026-04-30")],
    )


def style_utf16() -> Manifest:
    headers = ["N° facture", "Client", "Date", "Échéance", "Montant"]
    rows = [
        [n, name, f"{d:%d/%m/%Y}", f"{e:%d/%m/%Y}", f"{a:.2f}".replace(".", ",")]
        for n, _, name, d, e, a in DOCS
    ]
    write_text(
        STYLES / "excel_unicode_text.txt",
        headers,
        rows,
        sep="\t",
        encoding="utf-16",
        newline="\r\n",
    )
    return _style(
        "excel_unicode_text.txt",
        headers=headers,
        amount_header="Montant",
        date_headers=["Date", "Échéance"],
        header_row=1,
        encoding="utf-16",
        separator="\t",
        decimal_mark=",",
        date_order="dmy",
        dates=[(2, "Date", "2026-01-05"), (11, "Échéance", "2026-04-30")],
    )


# --------------------------------------------------------------------------------------------
# Malformed files


def _bad(file: str, **expected: Any) -> Manifest:
    return {"file": f"malformed/{file}", **expected}


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SIMPLE = ["N° facture", "Client", "Date facture", "Échéance", "Montant TTC"]


def malformed() -> list[Manifest]:
    out: list[Manifest] = []
    m = MALFORMED

    (m / "empty.csv").write_bytes(b"")
    out.append(_bad("empty.csv", error="the file is empty"))

    (m / "blank_lines_only.csv").write_bytes(b"\n\r\n   \n\n")
    out.append(_bad("blank_lines_only.csv", error="only blank lines"))

    write_text(m / "header_only.csv", SIMPLE, [], sep=";")
    out.append(_bad("header_only.csv", rows_read=0, headers=SIMPLE, rejects=[]))

    (m / "recipe.txt").write_text(
        "Tarte aux pommes\n\nIngrédients\n4 pommes\n200 g de farine\n100 g de beurre\n"
        "1 pincée de sel\n\nPréparation\nÉtaler la pâte dans le moule.\n"
        "Disposer les pommes en rosace.\nCuire 35 minutes à 180 degrés.\n",
        encoding="utf-8",
    )
    out.append(_bad("recipe.txt", error="not a table"))

    # rows loaded: F001 + F004 + F006 = 100,00 + 400,00 + 600,00 = 1100.00
    lines = [
        ";".join(SIMPLE),
        "F001;C001;05/01/2026;04/02/2026;100,00",
        "F002;C002;12/01/2026;11/02/2026",
        "F003;C003;20/01/2026;19/02/2026;300,00;extra",
        "",
        "F004;C004;25/01/2026;24/02/2026;400,00",
        "F005;C005;02/02/2026",
        "F006;C006;14/02/2026;16/03/2026;600,00",
    ]
    (m / "ragged_rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "ragged_rows.csv",
            rows_read=6,
            headers=SIMPLE,
            rejects=[
                {"line_no": 3, "reason": "row has 4 fields, the header has 5"},
                {"line_no": 4, "reason": "row has 6 fields, the header has 5"},
                {"line_no": 7, "reason": "row has 3 fields, the header has 5"},
            ],
            line_nos=[2, 6, 8],
            amount_header="Montant TTC",
            control_total="1100.00",
        )
    )

    header = ";".join(f"h{i}" for i in range(20000))
    row = ";".join("1" for _ in range(20000))
    (m / "wide_20000_columns.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    out.append(_bad("wide_20000_columns.csv", error="more than 1000"))

    (m / "image.png").write_bytes(_png())
    out.append(_bad("image.png", error="PNG image"))
    (m / "picture_named.csv").write_bytes(_png())
    out.append(_bad("picture_named.csv", error="PNG image"))

    (m / "nul_bytes.csv").write_bytes(
        ";".join(SIMPLE).encode() + b"\nF001;C001;05/01/2026;04/02/2026;1\x00\x0000,00\n"
    )
    out.append(_bad("nul_bytes.csv", error="NUL bytes"))

    lines = [
        ",".join(["Invoice", "Customer", "Invoice Date", "Due Date", "Amount"]),
        "I1,C1,31/02/2026,31/03/2026,10.00",
        "I2,C2,15/01/2026,45/01/2026,20.00",
        "I3,C3,29/02/2025,30/03/2025,30.00",
        "I4,C4,28/02/2024,29/02/2024,40.00",
    ]
    (m / "impossible_dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "impossible_dates.csv",
            rows_read=4,
            rejects=[],
            headers=["Invoice", "Customer", "Invoice Date", "Due Date", "Amount"],
            date_headers=["Invoice Date", "Due Date"],
            bad_dates=[
                {"line_no": 2, "header": "Invoice Date"},
                {"line_no": 3, "header": "Due Date"},
                {"line_no": 4, "header": "Invoice Date"},
            ],
            dates=[{"line_no": 5, "header": "Due Date", "value": "2024-02-29"}],
        )
    )

    lines = [
        ";".join(["N° facture", "Client", "Date facture", "Échéance"]),
        "F001;C001;05/01/2026;04/02/2026",
        "F002;C002;12/01/2026;11/02/2026",
    ]
    (m / "missing_amount_column.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "missing_amount_column.csv",
            rows_read=2,
            rejects=[],
            amount_header=None,
            headers=["N° facture", "Client", "Date facture", "Échéance"],
        )
    )

    lines = [
        ";".join(SIMPLE),
        "F001;C001;05/01/2026;04/02/2026;mille deux cents euros",
        "F002;C002;12/01/2026;11/02/2026;cent",
        "F003;C003;20/01/2026;19/02/2026;12,50",
    ]
    (m / "amounts_in_words.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "amounts_in_words.csv",
            rows_read=3,
            rejects=[],
            headers=SIMPLE,
            amount_header="Montant TTC",
            bad_amounts=[
                {"line_no": 2, "reason": "'mille deux cents euros' is not an amount"},
                {"line_no": 3, "reason": "'cent' is not an amount"},
            ],
        )
    )

    (m / "really_a_csv.xlsx").write_text(
        ";".join(SIMPLE) + "\nF001;C001;05/01/2026;04/02/2026;100,00\n", encoding="utf-8"
    )
    out.append(
        _bad("really_a_csv.xlsx", error="not a spreadsheet (it is a CSV file renamed .xlsx)")
    )

    (m / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    out.append(_bad("broken.xlsx", error="not a readable spreadsheet"))

    lines = [
        "Balance âgée clients;;;;",
        "Société Exemple SA au 31/03/2026;;;;",
        ";;;;",
        ";".join(SIMPLE),
        "F001;C001;05/01/2026;04/02/2026;1 000,00",
        "F002;C002;12/01/2026;11/02/2026;2 000,50",
        "F003;C003;20/01/2026;19/02/2026;-500,00",
        "Total;;;;2 500,50",
    ]
    (m / "title_block_and_totals.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    out.append(
        _bad(
            "title_block_and_totals.csv",
            rows_read=4,
            header_row=4,
            headers=SIMPLE,
            rejects=[],
            encoding="cp1252",
            separator=";",
            line_nos=[5, 6, 7, 8],
            notes=["title rows skipped", "totals row"],
            amount_header="Montant TTC",
            control_total="5001.00",
        )
    )

    dup = ["N° facture", "Client", "Montant", "Date", "Montant"]
    lines = [";".join(dup), "F001;C001;100,00;05/01/2026;120,00"]
    (m / "duplicate_headers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "duplicate_headers.csv",
            rows_read=1,
            rejects=[],
            headers=["N° facture", "Client", "Montant", "Date", "Montant (2)"],
            notes=["duplicate headers"],
        )
    )

    lines = [
        "N° facture;Client;;Date;",
        "F001;C001;x;05/01/2026;100,00",
        "F002;C002;y;06/01/2026;200,00",
    ]
    (m / "empty_headers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "empty_headers.csv",
            rows_read=2,
            rejects=[],
            headers=["N° facture", "Client", "column 3", "Date", "column 5"],
            notes=["without a header"],
        )
    )

    body = (
        ";".join(SIMPLE) + "\r\nF001;C001;05/01/2026;04/02/2026;100,00\n"
        "F002;C002;12/01/2026;11/02/2026;200,00\r\n\r\n"
        "F003;C003;20/01/2026;19/02/2026;300,00\n"
    )
    (m / "mixed_line_ends.csv").write_bytes(body.encode())
    out.append(
        _bad(
            "mixed_line_ends.csv",
            rows_read=3,
            rejects=[],
            headers=SIMPLE,
            line_nos=[2, 3, 5],
            amount_header="Montant TTC",
            control_total="600.00",
        )
    )

    lines = [
        ",".join(["Invoice", "Customer", "Memo", "Amount"]),
        'I1,C1,"first line\nsecond line",10.00',
        "I2,C2,plain,20.00",
        'I3,C3,"a ""quoted"" word, and a comma",30.00',
        "I4,C4",
        "I5,C5,last,40.00",
    ]
    (m / "multiline_quoted.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "multiline_quoted.csv",
            rows_read=5,
            headers=["Invoice", "Customer", "Memo", "Amount"],
            rejects=[{"line_no": 6, "reason": "row has 2 fields, the header has 4"}],
            line_nos=[2, 4, 5, 7],
            amount_header="Amount",
            control_total="100.00",
        )
    )

    (m / "single_column.txt").write_text("Client\nC001\nC002\nC003\n", encoding="utf-8")
    out.append(_bad("single_column.txt", error="not a table"))

    lines = [
        ";".join(SIMPLE),
        "F001;C001;05/01/2026;04/02/2026;100,00",
        ";;;;",
        "F002;C002;12/01/2026;11/02/2026;200,00",
        ";;;;",
    ]
    (m / "empty_rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(
        _bad(
            "empty_rows.csv",
            rows_read=2,
            rejects=[],
            headers=SIMPLE,
            line_nos=[2, 4],
            notes=["empty rows ignored"],
        )
    )
    return out


def main() -> None:
    STYLES.mkdir(parents=True, exist_ok=True)
    MALFORMED.mkdir(parents=True, exist_ok=True)
    builders: list[Callable[[], Manifest]] = [
        style_sage,
        style_sap,
        style_quickbooks,
        style_xlsx,
        style_parquet,
        style_bom,
        style_tsv,
        style_pipe,
        style_odoo_csv,
        style_xero,
        style_cegid,
        style_parens,
        style_swiss,
        style_serial,
        style_utf16,
    ]
    manifest = {
        "control_total_note": "sum of the amount column, computed by hand (see make_corpus.py)",
        "styles": [b() for b in builders],
        "malformed": malformed(),
    }
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
