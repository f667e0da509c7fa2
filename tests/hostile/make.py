"""Write the hostile-input corpus of tests/hostile: malformed, misleading and malicious files.

Small files are committed under ``tests/hostile/files`` (run ``python -m tests.hostile.make``
from the repository root to rewrite them; the output is deterministic). Huge files (a 1 GB
line, 20,000 columns, zip bombs) are never committed: :func:`generate` writes them at test time
into a temporary folder, streamed in chunks so that writing them needs little memory.

The expected outcome of every file is in ``tests/hostile/manifest.json``.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
MIB = 1024 * 1024
_DATE = (2026, 1, 1, 0, 0, 0)

#: The header and rows most text files below are built from (amounts add up to 1000.00).
HEADER = "N° facture;Code client;Date facture;Montant TTC"
ROWS = [
    "F001;C1;05/01/2026;100,00",
    "F002;C2;06/01/2026;250,50",
    "F003;C1;07/01/2026;649,50",
]


def text_file(*lines: str, end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode("utf-8")


# --------------------------------------------------------------------------------------------
# XLSX written by hand (the parts a reader needs), so that every byte can be made hostile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_OPEN = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
#: A ledger as spreadsheet cells: header and three invoices (100.00 + 250.50 + 649.50 = 1000.00).
XLSX_ROWS: list[list[object]] = [
    ["N° facture", "Code client", "Date facture", "Montant TTC"],
    ["F001", "C1", "2026-01-05", 100],
    ["F002", "C2", "2026-01-06", 250.5],
    ["F003", "C1", "2026-01-07", 649.5],
]


def column_letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell(ref: str | None, value: object, prefix: str = "") -> str:
    at = f' r="{ref}"' if ref else ""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f"<{prefix}c{at}><{prefix}v>{value}</{prefix}v></{prefix}c>"
    p = prefix
    return f'<{p}c{at} t="inlineStr"><{p}is><{p}t>{value}</{p}t></{p}is></{p}c>'


def sheet_xml(rows: list[list[object]], *, extra: str = "", prefix: str = "") -> str:
    """Worksheet XML with explicit cell references; ``extra`` is put after the last row."""
    body = "".join(
        f'<{prefix}row r="{i + 1}">'
        + "".join(_cell(f"{column_letters(j)}{i + 1}", v, prefix) for j, v in enumerate(row))
        + f"</{prefix}row>"
        for i, row in enumerate(rows)
    )
    if prefix:
        ns = prefix.rstrip(":")
        opening = (
            f'<{prefix}worksheet xmlns:{ns}="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main">'
        )
        return (
            _XML_DECL
            + opening
            + f"<{prefix}sheetData>"
            + body
            + extra
            + f"</{prefix}sheetData></{prefix}worksheet>"
        )
    return _XML_DECL + _SHEET_OPEN + "<sheetData>" + body + extra + "</sheetData></worksheet>"


def _zip(parts: dict[str, bytes | str], *, level: int = 6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, _DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=level)
    return buf.getvalue()


def xlsx(sheet: str, *, shared_strings: str | None = None) -> bytes:
    """A workbook of one sheet ``Feuil1`` holding ``sheet`` (worksheet XML)."""
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    return _zip(parts)


def _laughs(levels: int = 9) -> str:
    """A DOCTYPE whose last entity expands to 10**levels copies of "lol" (billion laughs)."""
    ents = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)
    )
    return f"<!DOCTYPE lolz [{ents}]>"


def _billion_laughs_sheet() -> bytes:
    rows = [list(r) for r in XLSX_ROWS]
    rows[1][0] = f"&lol{9};"
    text = sheet_xml(rows).replace(_XML_DECL, _XML_DECL + _laughs())
    return xlsx(text)


def _billion_laughs_shared_strings() -> bytes:
    sst = (
        _XML_DECL
        + _laughs()
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    rows = [list(r) for r in XLSX_ROWS]
    text = sheet_xml(rows).replace(
        '<c r="B2" t="inlineStr"><is><t>C1</t></is></c>', '<c r="B2" t="s"><v>0</v></c>'
    )
    return xlsx(text, shared_strings=sst)


def _far_cell(prefix: str = "") -> bytes:
    p = prefix
    far = f'<{p}row r="1048576"><{p}c r="XFD1048576"><{p}v>1</{p}v></{p}c></{p}row>'
    return xlsx(sheet_xml(XLSX_ROWS, extra=far, prefix=prefix))


def _far_cell_spaced() -> bytes:
    far = "<row r=\"1048576\"><c\n  r = 'XFD1048576'><v>1</v></c></row>"
    return xlsx(sheet_xml(XLSX_ROWS, extra=far))


def _implicit_cells() -> bytes:
    """No cell or row references: one row of 2,000 cells and 20,000 rows below it, a
    rectangle of 40 million cells from 700 kB of XML."""
    wide = "<row>" + "<c><v>1</v></c>" * 2000 + "</row>"
    tall = "<row><c><v>1</v></c></row>" * 20000
    return xlsx(sheet_xml(XLSX_ROWS, extra=wide + tall))


def _formula_without_value() -> bytes:
    """Amounts that are formulas: one with its cached result, one without (never calculated)."""
    text = sheet_xml(XLSX_ROWS)
    text = text.replace(
        '<c r="D3"><v>250.5</v></c>', '<c r="D3"><f>200+50.5</f><v>250.5</v></c>'
    ).replace('<c r="D4"><v>649.5</v></c>', '<c r="D4"><f>SUM(D2:D3)*2</f></c>')
    return xlsx(text)


def _xlsx_title_and_totals() -> bytes:
    rows: list[list[object]] = [
        ["Balance âgée clients au 31/01/2026"],
        ["Société Exemple SAS"],
        [],
        *[list(r) for r in XLSX_ROWS],
        ["Total", None, None, 1000],
    ]
    return xlsx(sheet_xml(rows))


def _xlsx_utf16_part() -> bytes:
    text = sheet_xml(XLSX_ROWS).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": text.encode("utf-16"),
    }
    return _zip(parts)


def _truncated_xlsx() -> bytes:
    whole = xlsx(sheet_xml(XLSX_ROWS))
    return whole[: len(whole) * 2 // 3]


def _plain_zip() -> bytes:
    return _zip({"lisezmoi.txt": "Ceci n'est pas un classeur.\n"})


def _lying_size() -> bytes:
    """The sheet part declares 600 bytes (and the CRC of its first 600 bytes) but inflates to
    more than 50 MB: readers that trust the header would read far beyond it."""
    honest = sheet_xml(XLSX_ROWS)
    padded = honest.replace("</sheetData>", " " * (50 * MIB) + "</sheetData>").encode()
    declared = 600
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = co.compress(padded) + co.flush()
    members: list[tuple[str, bytes, int, int]] = []
    for name, data in (
        ("[Content_Types].xml", _CONTENT_TYPES.encode()),
        ("_rels/.rels", _RELS.encode()),
        ("xl/workbook.xml", _WORKBOOK.encode()),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()),
    ):
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        members.append((name, c.compress(data) + c.flush(), zlib.crc32(data), len(data)))
    members.append(("xl/worksheets/sheet1.xml", packed, zlib.crc32(padded[:declared]), declared))
    return _raw_zip(members)


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive of deflated members (name, packed bytes, CRC-32, declared size), with
    whatever sizes and CRCs it is given."""
    out = bytearray()
    central = bytearray()
    for name, packed, crc, size in members:
        nb = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x5C21, crc, len(packed), size, len(nb), 0
        )
        out += nb + packed
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x5C21,
            crc,
            len(packed),
            size,
            len(nb),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += nb
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0
    )
    return bytes(out)


def _many_parts() -> bytes:
    parts: dict[str, bytes | str] = {f"xl/media/p{i}.xml": "" for i in range(10_001)}
    return _zip(parts, level=1)


def _ods_bomb() -> bytes:
    """An ODS whose last row repeats a filled cell 16,384 times across 1,048,576 rows."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Feuille1">'
        + "".join(
            "<table:table-row>"
            + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{v}</text:p>'
                "</table:table-cell>"
                for v in row
            )
            + "</table:table-row>"
            for row in XLSX_ROWS
        )
        + '<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
        'table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("mimetype", _DATE)
        z.writestr(info, "application/vnd.oasis.opendocument.spreadsheet")
        for name, data in (
            (
                "META-INF/manifest.xml",
                '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>",
            ),
            ("content.xml", content),
        ):
            info = zipfile.ZipInfo(name, _DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Parquet


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def _parquet_wrong_types() -> bytes:
    """Amounts as text (one in words), dates as integers (one impossible) and as text."""
    return _parquet(
        pa.table(
            {
                "invoice_id": ["F001", "F002", "F003", "F004"],
                "customer_id": [1, 2, 1, 3],
                "invoice_date": [20260105, 20260106, 20260231, 20260108],
                "amount": ["100.00", "deux cent cinquante", "649.50", "1e3"],
            }
        )
    )


def _parquet_float_amounts() -> bytes:
    """Amounts stored as binary floats with noise (0.1 + 0.2), dates as timestamps."""
    import datetime as dt

    return _parquet(
        pa.table(
            {
                "invoice_id": ["F001", "F002", "F003"],
                "customer_id": ["C1", "C2", "C1"],
                "invoice_date": pa.array(
                    [dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 6), dt.datetime(2026, 1, 7)],
                    pa.timestamp("ms"),
                ),
                "amount": pa.array([0.1 + 0.2, 250.50000000000003, 649.2], pa.float64()),
            }
        )
    )


def _parquet_nested() -> bytes:
    """Extra columns of nested types (struct, list, map, binary) beside a valid ledger."""
    return _parquet(
        pa.table(
            {
                "invoice_id": ["F001", "F002"],
                "customer_id": ["C1", "C2"],
                "invoice_date": ["2026-01-05", "2026-01-06"],
                "amount": pa.array([100, 900], pa.decimal128(18, 2)),
                "meta": pa.array([{"a": 1, "b": "x"}, {"a": 2, "b": None}]),
                "tags": pa.array([["x", "y"], []]),
                "blob": pa.array([b"\xff\xfe\x00binary", b""], pa.binary()),
            }
        )
    )


def _parquet_empty() -> bytes:
    schema = pa.schema(
        [
            ("invoice_id", pa.string()),
            ("customer_id", pa.string()),
            ("invoice_date", pa.date32()),
            ("amount", pa.decimal128(18, 2)),
        ]
    )
    return _parquet(schema.empty_table())


def _parquet_truncated() -> bytes:
    whole = _parquet(pa.table({"invoice_id": ["F001"], "customer_id": ["C1"], "amount": [1.0]}))
    return whole[: len(whole) - 20]


def _parquet_bomb() -> bytes:
    """A file of a few kB whose customer code unpacks to 64 MiB (zstd)."""
    buf = io.BytesIO()
    table = pa.table(
        {
            "invoice_id": ["F001", "F002"],
            "customer_id": ["C1", "A" * (64 * MIB)],
            "invoice_date": ["2026-01-05", "2026-01-06"],
            "amount": ["100.00", "900.00"],
        }
    )
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def _parquet_duplicate_names() -> bytes:
    """Two columns called ``amount`` (Parquet allows it; SQL tables do not)."""
    arrays = [
        pa.array(["F001", "F002"]),
        pa.array(["C1", "C2"]),
        pa.array(["2026-01-05", "2026-01-06"]),
        pa.array(["100.00", "900.00"]),
        pa.array(["1.00", "2.00"]),
    ]
    names = ["invoice_id", "customer_id", "invoice_date", "amount", "amount"]
    return _parquet(pa.Table.from_arrays(arrays, names=names))


# --------------------------------------------------------------------------------------------
# Text files


def _random_bytes() -> bytes:
    return random.Random(8).randbytes(4096)


def _ragged() -> bytes:
    return text_file(
        HEADER,
        ROWS[0],
        "F002;C2;06/01/2026",
        "F009;C9;06/01/2026;1,00;extra;fields",
        ROWS[2],
    )


def _mixed_line_ends() -> bytes:
    return (HEADER + "\r\n" + ROWS[0] + "\n" + ROWS[1] + "\r" + ROWS[2] + "\r\n").encode()


def _cr_only() -> bytes:
    return text_file(HEADER, *ROWS, end="\r")


def _unclosed_quote() -> bytes:
    return text_file(HEADER, ROWS[0], '"F002;C2;06/01/2026;250,50', ROWS[2])


def _swallowed_rows() -> bytes:
    """Two names with a stray quote, one opening and one closing: the quotes balance, so a
    CSV reader sees one valid field spanning two lines, then F003's date and amount as F002's.
    """
    return text_file(
        "N° facture;Code client;Raison sociale;Date facture;Montant TTC",
        "F001;C1;Martin;05/01/2026;100,00",
        'F002;C2;"Dupré;06/01/2026;250,50',
        'F003;C1;Lefèvre";07/01/2026;649,50',
        "F004;C3;Süß;08/01/2026;1,00",
    )


def _multiline_name() -> bytes:
    """A quoted name holding a line break (an address), which is valid CSV."""
    return text_file(
        HEADER + ";Raison sociale",
        ROWS[0] + ';"Martin SA\n12, rue du Port"',
        ROWS[1] + ';"Dupré\r\nBP 7"',
        ROWS[2] + ";Lefèvre",
    )


def _whitespace_lines() -> bytes:
    return text_file(HEADER, ROWS[0], "   ", "\t", ROWS[1], ";;;", " ; ", ROWS[2], "  ")


def _stray_quotes() -> bytes:
    return text_file(
        HEADER, ROWS[0], 'F002;C2 "le grand";06/01/2026;250,50', '"F003";"C1";"07/01/2026";"649,50"'
    )


def _duplicate_headers() -> bytes:
    return text_file(
        "N° facture;Code client;Date facture;Montant TTC;Montant TTC;Code client",
        "F001;C1;05/01/2026;100,00;1,00;X1",
        "F002;C2;06/01/2026;250,50;2,00;X2",
        "F003;C1;07/01/2026;649,50;3,00;X3",
    )


def _empty_headers() -> bytes:
    return text_file(
        "N° facture;;Code client;;Date facture;Montant TTC;",
        "F001;a;C1;;05/01/2026;100,00;z",
        "F002;b;C2;;06/01/2026;250,50;z",
        "F003;c;C1;;07/01/2026;649,50;z",
    )


#: A header written as an SQL injection; the user maps it to the amount.
INJECTION_HEADER = 'Montant"); DROP TABLE invoices; --'


def _sql_injection_header() -> bytes:
    quoted = INJECTION_HEADER.replace('"', '""')
    return text_file(
        f'N° facture;Code client;Date facture;"{quoted}";"\'; DELETE FROM datasets; --"',
        "F001;C1;05/01/2026;100,00;x",
        "F002;C2;06/01/2026;deux cents;x",
        "F003;C1;07/01/2026;649,50;x",
    )


def _sql_injection_values() -> bytes:
    return text_file(
        HEADER + ";Raison sociale",
        '"F001\';DROP TABLE invoices;--";C1;05/01/2026;100,00;"Robert\'); DROP TABLE datasets;--"',
        'F002;"C2"" OR 1=1 --";06/01/2026;250,50;$1 $h_amount ? %s {0}',
        "F003;C1;07/01/2026;649,50;x' UNION SELECT * FROM datasets --",
    )


def _impossible_dates() -> bytes:
    return text_file(
        HEADER,
        "F001;C1;31/02/2026;100,00",
        "F002;C2;00/01/2026;250,50",
        "F003;C1;07/13/2026x;649,50",
        "F004;C1;29/02/2025;1,00",
        "F005;C3;05/01/2026;1000,00",
    )


def _amounts_in_words() -> bytes:
    return text_file(
        HEADER,
        "F001;C1;05/01/2026;cent euros",
        "F002;C2;06/01/2026;250,50",
        "F003;C1;07/01/2026;six cent quarante-neuf",
        "F004;C1;07/01/2026;N/A",
        "F005;C1;07/01/2026;1 2 3,4 5",
    )


def _utf16() -> bytes:
    return ("\n".join([HEADER, *ROWS]) + "\n").encode("utf-16")


def _utf16_no_bom() -> bytes:
    return ("\n".join([HEADER, *ROWS]) + "\n").encode("utf-16-le")


def _utf32() -> bytes:
    return ("\n".join([HEADER, *ROWS]) + "\n").encode("utf-32")


def _bom_then_cp1252() -> bytes:
    return b"\xef\xbb\xbf" + ("\n".join([HEADER, *ROWS]) + "\n").encode("cp1252")


def _utf8_then_cp1252() -> bytes:
    head = ("\n".join([HEADER, ROWS[0], "F002;Café du Thé;06/01/2026;250,50"]) + "\n").encode()
    return head + "F003;Crème brûlée;07/01/2026;1\xa0649,50\n".encode("cp1252")


def _double_encoded() -> bytes:
    """UTF-8 text decoded as cp1252 and encoded again: 'N° facture' becomes 'NÂ° facture'."""
    text = "\n".join([HEADER, *ROWS]) + "\n"
    return text.encode("utf-8").decode("cp1252").encode("utf-8")


def _cp1252_names() -> bytes:
    return (
        "\n".join(
            [
                HEADER + ";Raison sociale",
                ROWS[0] + ";Société Générale",
                ROWS[1] + ";L’Œuvre",
                ROWS[2] + ";Café € 1\xa0649",
            ]
        )
        + "\n"
    ).encode("cp1252")


def _ebcdic() -> bytes:
    return ("\n".join([HEADER.replace("°", "o"), *ROWS]) + "\n").encode("cp500")


def _control_characters() -> bytes:
    return text_file(HEADER, "F001;C1\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f;05/01/2026;100,00")


def _invisible_characters() -> bytes:
    return text_file(
        "N°\u00a0facture;Code\u200bclient;Date facture;Montant TTC",
        "F001;C1;05/01/2026;\u00a0100,00\u00a0",
        "F002;C2;06/01/2026;\u200b250,50",
        "F003;C1;07/01/2026;649\u202f,50",
    )


def _title_block_and_totals() -> bytes:
    return text_file(
        "Balance âgée clients",
        "Arrêtée au 31/01/2026;;;",
        "",
        HEADER,
        *ROWS,
        "Sous-total C1;;;749,50",
        "Total général;;;1000,00",
    )


def _formulas_in_cells() -> bytes:
    return text_file(
        HEADER + ";Raison sociale",
        'F001;C1;05/01/2026;100,00;"=HYPERLINK(""http://evil.example"",""Cliquez"")"',
        "F002;C2;06/01/2026;=200+50,5;+cmd|' /C calc'!A0",
        "F003;C1;07/01/2026;649,50;@SUM(1+1)*cmd|' /C calc'!A0",
        "F004;C3;08/01/2026;=1+1;-2+3",
    )


def _header_repeated() -> bytes:
    return text_file(HEADER, ROWS[0], HEADER, ROWS[1], ROWS[2])


def _duplicate_rows() -> bytes:
    return text_file(HEADER, ROWS[0], ROWS[1], ROWS[1], ROWS[2], ROWS[0])


def _huge_numbers() -> bytes:
    return text_file(
        HEADER,
        "F001;C1;05/01/2026;99999999999999999999,00",
        "F002;C2;06/01/2026;1e308",
        "F003;C1;07/01/2026;NaN",
        "F004;C1;07/01/2026;-Infinity",
        "F005;C1;07/01/2026;9999999999999999,99",
        "F006;C1;07/01/2026;0,001",
    )


def _only_separators() -> bytes:
    return text_file(";;;", ";;;", ";;;")


def _numbers_as_header() -> bytes:
    return text_file("1;2;3;4", "5;6;7;8", "9;10;11;12")


def _one_column() -> bytes:
    return text_file("Montant", "100", "200")


def _blank_lines() -> bytes:
    return b"\n\n   \n\t\n\r\n"


def _header_only() -> bytes:
    return b"\xef\xbb\xbf" + text_file(HEADER, "", "", end="\r\n")


def _xlsx_named_csv() -> bytes:
    return xlsx(sheet_xml(XLSX_ROWS))


def _csv_named_xlsx() -> bytes:
    return text_file(HEADER, *ROWS)


def _fake_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(3).randbytes(2000)


#: Committed files: name -> builder of its bytes.
SMALL: dict[str, Callable[[], bytes]] = {
    "empty.csv": lambda: b"",
    "blank_lines.csv": _blank_lines,
    "header_only.csv": _header_only,
    "random_bytes.csv": _random_bytes,
    "png_named.csv": lambda: b"\x89PNG\r\n\x1a\n" + bytes(64),
    "pdf_named.xlsx": lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    "program_named.parquet": lambda: b"\x7fELF\x02\x01\x01" + bytes(64),
    "nul_bytes.csv": lambda: text_file(HEADER, "F001;C1;05/01/2026;10\x000,00"),
    "ragged_rows.csv": _ragged,
    "mixed_line_ends.csv": _mixed_line_ends,
    "cr_only.csv": _cr_only,
    "unclosed_quote.csv": _unclosed_quote,
    "stray_quotes.csv": _stray_quotes,
    "swallowed_rows.csv": _swallowed_rows,
    "multiline_name.csv": _multiline_name,
    "whitespace_lines.csv": _whitespace_lines,
    "duplicate_headers.csv": _duplicate_headers,
    "empty_headers.csv": _empty_headers,
    "sql_injection_header.csv": _sql_injection_header,
    "sql_injection_values.csv": _sql_injection_values,
    "impossible_dates.csv": _impossible_dates,
    "amounts_in_words.csv": _amounts_in_words,
    "utf16_bom.csv": _utf16,
    "utf16_no_bom.csv": _utf16_no_bom,
    "utf32.csv": _utf32,
    "bom_then_cp1252.csv": _bom_then_cp1252,
    "utf8_then_cp1252.csv": _utf8_then_cp1252,
    "double_encoded.csv": _double_encoded,
    "cp1252_names.csv": _cp1252_names,
    "ebcdic.csv": _ebcdic,
    "control_characters.csv": _control_characters,
    "invisible_characters.csv": _invisible_characters,
    "title_block_and_totals.csv": _title_block_and_totals,
    "formulas_in_cells.csv": _formulas_in_cells,
    "header_repeated.csv": _header_repeated,
    "duplicate_rows.csv": _duplicate_rows,
    "huge_numbers.csv": _huge_numbers,
    "only_separators.csv": _only_separators,
    "numbers_as_header.csv": _numbers_as_header,
    "one_column.csv": _one_column,
    "really_a_csv.xlsx": _csv_named_xlsx,
    "really_an_xlsx.csv": _xlsx_named_csv,
    "truncated.xlsx": _truncated_xlsx,
    "plain_zip.xlsx": _plain_zip,
    "fake_ole.xls": _fake_xls,
    "billion_laughs_sheet.xlsx": _billion_laughs_sheet,
    "billion_laughs_shared_strings.xlsx": _billion_laughs_shared_strings,
    "far_cell.xlsx": _far_cell,
    "far_cell_prefixed.xlsx": lambda: _far_cell("x:"),
    "far_cell_spaced.xlsx": _far_cell_spaced,
    "implicit_cells.xlsx": _implicit_cells,
    "formulas.xlsx": _formula_without_value,
    "title_and_totals.xlsx": _xlsx_title_and_totals,
    "utf16_part.xlsx": _xlsx_utf16_part,
    "lying_size.xlsx": _lying_size,
    "ods_bomb.ods": _ods_bomb,
    "wrong_types.parquet": _parquet_wrong_types,
    "float_amounts.parquet": _parquet_float_amounts,
    "nested_columns.parquet": _parquet_nested,
    "no_rows.parquet": _parquet_empty,
    "truncated.parquet": _parquet_truncated,
    "duplicate_names.parquet": _parquet_duplicate_names,
    "decompression_bomb.parquet": _parquet_bomb,
}


# --------------------------------------------------------------------------------------------
# Huge files, generated at test time


def _giga_line(path: Path) -> None:
    """A ledger whose third line is 1 GiB long (written in 16 MiB chunks)."""
    chunk = b"9" * (16 * MIB)
    with path.open("wb") as fh:
        fh.write(text_file(HEADER, ROWS[0]))
        fh.write(b"F002;C2;06/01/2026;")
        for _ in range(64):
            fh.write(chunk)
        fh.write(b"\n" + ROWS[2].encode() + b"\n")


def _wide_csv(path: Path) -> None:
    n = 20_000
    with path.open("w", encoding="utf-8") as fh:
        fh.write(";".join(f"Colonne {i}" for i in range(n)) + "\n")
        for r in range(3):
            fh.write(";".join(str(r * n + i) for i in range(n)) + "\n")


def _wide_xlsx(path: Path) -> None:
    n = 20_000
    rows: list[list[object]] = [[f"Colonne {i}" for i in range(n)], list(range(n))]
    path.write_bytes(xlsx(sheet_xml(rows)))


def _wide_parquet(path: Path) -> None:
    n = 20_000
    pq.write_table(pa.table({f"c{i}": [i] for i in range(n)}), path)


def _nul_deep(path: Path) -> None:
    """A NUL byte on line 60,000, beyond the part of the file read to sniff it."""
    with path.open("wb") as fh:
        fh.write(text_file(HEADER))
        for i in range(1, 60_000):
            sep = "\x00" if i == 59_999 else ""
            fh.write(f"F{i:06d};C{i % 7};05/01/2026;{sep}{i},00\n".encode())


def _bomb_sheet(path: Path, size: int, level: int) -> None:
    """A real XLSX whose sheet holds one text cell of ``size`` bytes, deflated at ``level``."""
    head = sheet_xml(XLSX_ROWS).split("</sheetData>")[0]
    head += '<row r="5"><c r="A5" t="inlineStr"><is><t>'
    tail = "</t></is></c></row></sheetData></worksheet>"
    chunk = b"A" * (16 * MIB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ):
            z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(head.encode())
            written = 0
            while written < size:
                part = chunk[: min(len(chunk), size - written)]
                fh.write(part)
                written += len(part)
            fh.write(tail.encode())


def _zip_bomb(path: Path) -> None:
    """1.5 GiB of sheet XML in a file of a few MB."""
    _bomb_sheet(path, 1536 * MIB, 1)


def _ratio_bomb(path: Path) -> None:
    """300 MiB of sheet XML deflated about 1,000 times: under the size limit, over the ratio."""
    _bomb_sheet(path, 300 * MIB, 9)


def _long_quoted_field(path: Path) -> None:
    """A quoted field spanning 40,000 short lines (1.2 MB): one record longer than 1 MB."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("\n".join([HEADER, ROWS[0]]) + "\n")
        fh.write('F002;C2;06/01/2026;"' + "123456789,\n" * 100_000 + '"\n')
        fh.write(ROWS[2] + "\n")


#: Generated files: name -> writer.
BIG: dict[str, Callable[[Path], None]] = {
    "giga_line.csv": _giga_line,
    "wide_20000_columns.csv": _wide_csv,
    "wide_20000_columns.xlsx": _wide_xlsx,
    "wide_20000_columns.parquet": _wide_parquet,
    "nul_deep.csv": _nul_deep,
    "zip_bomb.xlsx": _zip_bomb,
    "ratio_bomb.xlsx": _ratio_bomb,
    "long_quoted_field.csv": _long_quoted_field,
    "many_parts.xlsx": lambda path: path.write_bytes(_many_parts()),
}


def generate(name: str, directory: Path) -> Path:
    """Write the generated file ``name`` into ``directory`` (once) and return its path."""
    path = directory / name
    if not path.exists():
        BIG[name](path)
    return path


def write_small(directory: Path = FILES) -> list[Path]:
    """Write every committed file into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, build in SMALL.items():
        path = directory / name
        path.write_bytes(build())
        out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    paths = write_small(Path(argv[0]) if argv else FILES)
    print(f"{len(paths)} files written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
