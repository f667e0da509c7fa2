"""Pollock-style pollution: a seeded generator that damages a clean ledger export.

:func:`clean_ledger` draws a small clean invoice ledger (typed values). :func:`render` writes it
as a CSV export in a :class:`Style` (French: ``;``, decimal comma, dd/mm/yyyy, UTF-8; or
English), and :func:`pollute` applies one or more damage kinds from :data:`KINDS` to it. The
result keeps, for every physical line of the damaged file, the clean invoice it came from
(``origins``), so that a test can check that every row the product kept gives exactly the
clean figures of that invoice.

Every damage kind says whether the product must keep every invoice (``all_kept``: the damage
is one a real export shows and the product reads, such as thousands separators or a cp1252
encoding) or may reject rows or the whole file with a reason.

Damage the product cannot see is deliberately not generated: two text columns swapped in a
row, or a file cut inside its last column (e.g. "1234,56" cut to "1234,5" on the last line),
look exactly like valid data; only an external control total could reveal them.
"""

from __future__ import annotations

import codecs
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

CUSTOMERS = [
    ("C01", "Boulangerie Martin"),
    ("C02", "Société Générale d'Équipement"),
    ("C03", "Café de l'Été"),
    ("C04", "Menuiserie Dupré & Fils"),
    ("C05", "Garage Lefèvre"),
    ("C06", "Hôtel Bellevue"),
    ("C07", "Pharmacie Süß"),
]
#: Canonical column of each position of the rendered file.
COLUMNS = (
    "invoice_id",
    "customer_id",
    "customer_name",
    "invoice_date",
    "due_date",
    "amount",
    "currency",
)


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    customer_id: str
    customer_name: str
    invoice_date: date
    due_date: date
    amount: Decimal
    currency: str = "EUR"


@dataclass(frozen=True)
class Style:
    """How an export writes its header, numbers and dates."""

    name: str
    headers: tuple[str, ...]
    sep: str
    decimal: str
    date_format: str

    def amount(self, x: Decimal, thousands: str = "") -> str:
        sign = "-" if x < 0 else ""
        whole, frac = f"{abs(x):.2f}".split(".")
        if thousands:
            whole = f"{int(whole):,}".replace(",", thousands)
        return f"{sign}{whole}{self.decimal}{frac}"

    def date(self, d: date) -> str:
        return d.strftime(self.date_format)


FR = Style(
    "fr",
    (
        "N° facture",
        "Code client",
        "Raison sociale",
        "Date facture",
        "Date d'échéance",
        "Montant TTC",
        "Devise",
    ),
    ";",
    ",",
    "%d/%m/%Y",
)
EN = Style(
    "en",
    (
        "Invoice No",
        "Customer ID",
        "Customer Name",
        "Invoice Date",
        "Due Date",
        "Amount",
        "Currency",
    ),
    ",",
    ".",
    "%Y-%m-%d",
)
STYLES = {"fr": FR, "en": EN}


def clean_ledger(seed: int, n: int = 30) -> list[Invoice]:
    """``n`` invoices and credit notes of the customers above, dated January to March 2026,
    with days above 12 among them (so that the day-first order is settled)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        cid, name = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(90))
        if i == 0:
            day = date(2026, 1, 25)
        cents = rng.randrange(1, 5_000_000)
        if rng.random() < 0.1:
            cents = -rng.randrange(1, 100_000)
        out.append(
            Invoice(
                invoice_id=f"FA-2026-{i + 1:04d}",
                customer_id=cid,
                customer_name=name,
                invoice_date=day,
                due_date=day + timedelta(days=rng.choice((0, 30, 45, 60))),
                amount=Decimal(cents).scaleb(-2),
            )
        )
    return out


@dataclass
class Line:
    """One physical line: cells to join, or a raw text; ``origin`` is the clean invoice."""

    cells: list[str] | None
    origin: int | None = None
    raw: str | None = None
    #: Columns whose cell no longer holds the clean value in some form.
    damaged: set[str] = field(default_factory=set)


@dataclass
class Doc:
    """A rendered export being damaged."""

    style: Style
    lines: list[Line]
    ledger: list[Invoice]
    #: Canonical column of each position (after reordering, dropping, adding columns).
    order: list[str] = field(default_factory=lambda: list(COLUMNS))
    encoding: str = "utf-8"
    newline: str = "\n"
    bom: bool = False
    #: Seed of the line end of each line when they differ; None: ``newline`` everywhere.
    mixed_ends: int | None = None
    kinds: list[str] = field(default_factory=list)

    @property
    def sep(self) -> str:
        return self.style.sep

    def data_lines(self) -> list[Line]:
        """Lines of an invoice still written as cells."""
        return [x for x in self.lines if x.origin is not None and x.raw is None]

    def col(self, name: str) -> int:
        return self.order.index(name)

    def invoice(self, line: Line) -> Invoice:
        assert line.origin is not None
        return self.ledger[line.origin]


def render(ledger: list[Invoice], style: Style) -> Doc:
    lines = [Line(list(style.headers))]
    for i, inv in enumerate(ledger):
        lines.append(
            Line(
                [
                    inv.invoice_id,
                    inv.customer_id,
                    inv.customer_name,
                    style.date(inv.invoice_date),
                    style.date(inv.due_date),
                    style.amount(inv.amount),
                    inv.currency,
                ],
                origin=i,
            )
        )
    return Doc(style, lines, ledger)


def _quote(cell: str, sep: str) -> str:
    if any(ch in cell for ch in (sep, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def line_text(line: Line, sep: str) -> str:
    if line.raw is not None:
        return line.raw
    assert line.cells is not None
    return sep.join(_quote(c, sep) for c in line.cells)


@dataclass(frozen=True)
class Polluted:
    """A damaged export: its bytes, the clean invoice of each physical line, the kinds."""

    data: bytes
    origins: dict[int, int]
    kinds: tuple[str, ...]
    all_kept: bool


def serialise(doc: Doc, all_kept: bool) -> Polluted:
    parts = []
    origins: dict[int, int] = {}
    ends = random.Random(doc.mixed_ends)
    for k, line in enumerate(doc.lines):
        end = doc.newline if doc.mixed_ends is None else ends.choice(("\r\n", "\n", "\r"))
        parts.append(line_text(line, doc.sep) + end)
        if line.origin is not None:
            origins[k + 1] = line.origin
    text = "".join(parts)
    if doc.encoding != "utf-8":
        text = text.replace("\u202f", "\u00a0").replace("\u2212", "-")
    data = text.encode(doc.encoding)
    if doc.bom:
        data = codecs.BOM_UTF8 + data
    return Polluted(data, origins, tuple(doc.kinds), all_kept)


# --------------------------------------------------------------------------------------------
# Damage kinds: each mutates a Doc with a seeded random generator


def _pick(
    doc: Doc, rng: random.Random, share: float = 0.2, column: str | None = None
) -> list[Line]:
    """A share of the invoice lines, among those whose ``column`` is present and intact."""
    rows = [
        x
        for x in doc.data_lines()
        if column is None or (column in doc.order and column not in x.damaged)
    ]
    if not rows:
        return []
    return rng.sample(rows, max(1, int(len(rows) * share)))


def _set(doc: Doc, line: Line, column: str, text: str, *, damage: bool = False) -> None:
    assert line.cells is not None
    line.cells[doc.col(column)] = text
    if damage:
        line.damaged.add(column)


def _intact(doc: Doc, column: str) -> list[Line]:
    """Invoice lines whose ``column`` still holds the clean value."""
    if column not in doc.order:
        return []
    return [x for x in doc.data_lines() if column not in x.damaged]


def dropped_cells(doc: Doc, rng: random.Random) -> None:
    """Required cells emptied in a fifth of the rows."""
    for line in _pick(doc, rng):
        present = [
            c for c in ("invoice_id", "customer_id", "invoice_date", "amount") if c in doc.order
        ]
        col = rng.choice(present)
        _set(doc, line, col, "", damage=True)


def columns_reordered(doc: Doc, rng: random.Random) -> None:
    """The same columns in another order, header included."""
    order = list(range(len(doc.order)))
    while order == sorted(order):
        rng.shuffle(order)
    for line in doc.lines:
        if line.cells is not None and line.raw is None:
            line.cells = [line.cells[i] for i in order]
    doc.order = [doc.order[i] for i in order]


def values_swapped(doc: Doc, rng: random.Random) -> None:
    """The amount and the invoice date swapped in a fifth of the rows."""
    if "amount" not in doc.order or "invoice_date" not in doc.order:
        return
    a, d = doc.col("amount"), doc.col("invoice_date")
    for line in _pick(doc, rng):
        assert line.cells is not None
        line.cells[a], line.cells[d] = line.cells[d], line.cells[a]
        line.damaged |= {"amount", "invoice_date"}


def thousands_separators(doc: Doc, rng: random.Random) -> None:
    """Amounts grouped by thousands as exports do (no-break, narrow or plain space, or point
    in French; comma in English)."""
    choices = ("\u00a0", "\u202f", " ", ".") if doc.style.decimal == "," else (",",)
    sep = rng.choice(choices)
    for line in _intact(doc, "amount"):
        _set(doc, line, "amount", doc.style.amount(doc.invoice(line).amount, sep))


def currency_symbols(doc: Doc, rng: random.Random) -> None:
    """Currency symbols or codes before or after the amounts."""
    for line in _intact(doc, "amount"):
        assert line.cells is not None
        text = line.cells[doc.col("amount")]
        form = rng.choice(("{} €", "{}€", "EUR {}", "{} EUR", "€ {}"))
        _set(doc, line, "amount", form.format(text))


def stray_quotes(doc: Doc, rng: random.Random) -> None:
    """A double quote inside customer names, or opening a name and never closed."""
    if "customer_name" not in doc.order:
        return
    name = doc.col("customer_name")
    for line in _pick(doc, rng, 0.15):
        assert line.cells is not None
        cells = [_quote(c, doc.sep) for c in line.cells]
        value = line.cells[name].replace(doc.sep, " ").replace('"', "")
        cut = rng.randrange(len(value) + 1)
        cells[name] = rng.choice((value[:cut] + '"' + value[cut:], '"' + value, value + '"'))
        line.raw = doc.sep.join(cells)


def truncated_lines(doc: Doc, rng: random.Random) -> None:
    """Lines cut short before their last field (an interrupted copy, a wrapped line)."""
    for line in _pick(doc, rng, 0.15):
        text = line_text(line, doc.sep)
        line.raw = text[: rng.randrange(1, text.rfind(doc.sep))]


def duplicated_rows(doc: Doc, rng: random.Random) -> None:
    """Rows exported twice, next to each other or at the end."""
    for line in _pick(doc, rng, 0.15):
        copy = Line(
            list(line.cells) if line.cells else None, line.origin, line.raw, set(line.damaged)
        )
        if rng.random() < 0.5:
            doc.lines.insert(doc.lines.index(line) + 1, copy)
        else:
            doc.lines.append(copy)


def wrong_encoding(doc: Doc, rng: random.Random) -> None:
    """The same text in cp1252 or latin-1 (a Windows export) instead of UTF-8."""
    doc.encoding = rng.choice(("cp1252", "latin-1"))


def byte_order_mark(doc: Doc, rng: random.Random) -> None:
    """A UTF-8 byte-order mark (Excel's "CSV UTF-8")."""
    doc.bom = True


_DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d", "{d}.{m}.%y", "%d-%m-%Y", "%Y%m%d", "{d} {mon} %Y")
_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin")


def mixed_date_formats(doc: Doc, rng: random.Random) -> None:
    """Each invoice date written in one of several forms (dd/mm/yyyy, ISO, d.m.yy, compact,
    day and French month name)."""
    for line in _intact(doc, "invoice_date"):
        d = doc.invoice(line).invoice_date
        form = rng.choice(_DATE_FORMS).format(d=d.day, m=d.month, mon=_MONTHS[d.month - 1])
        _set(doc, line, "invoice_date", d.strftime(form))


def blank_lines(doc: Doc, rng: random.Random) -> None:
    """Empty and white-space lines between rows and at the end."""
    for _ in range(rng.randrange(2, 6)):
        at = rng.randrange(1, len(doc.lines) + 1)
        doc.lines.insert(at, Line(None, raw=rng.choice(("", " ", "\t", doc.sep * 6))))


def totals_rows(doc: Doc, rng: random.Random) -> None:
    """Subtotal rows per customer and a grand total, as printed reports have."""
    if "amount" not in doc.order:
        return
    total = sum((inv.amount for inv in doc.ledger), Decimal("0.00"))
    width = len(doc.order)
    data = doc.data_lines()
    for line in rng.sample(data, min(3, len(data))):
        assert line.cells is not None
        cells = [""] * width
        cells[0] = rng.choice(("Sous-total", "Total client", "Subtotal"))
        if "customer_id" in doc.order:
            cells[doc.col("customer_id")] = doc.invoice(line).customer_id
        cells[doc.col("amount")] = doc.style.amount(doc.invoice(line).amount)
        doc.lines.insert(doc.lines.index(line) + 1, Line(cells))
    cells = [""] * width
    cells[0] = rng.choice(("Total", "TOTAL GÉNÉRAL", "Grand total"))
    cells[doc.col("amount")] = doc.style.amount(total)
    doc.lines.append(Line(cells))


def formula_cells(doc: Doc, rng: random.Random) -> None:
    """Spreadsheet formulas in amounts (a fifth of the rows) and in customer names."""
    for line in _pick(doc, rng, column="amount"):
        formula = rng.choice(("=A1+B1", "=SUM(F2:F9)", "+1+1", "@SUM(1)"))
        _set(doc, line, "amount", formula, damage=True)
    for line in _pick(doc, rng, column="customer_name"):
        _set(doc, line, "customer_name", '=HYPERLINK("http://x.example","clic")')


def negative_styles(doc: Doc, rng: random.Random) -> None:
    """Credit notes written "(12,50)", "12,50-" (SAP) or with a U+2212 minus sign."""
    for line in _intact(doc, "amount"):
        amount = doc.invoice(line).amount
        if amount < 0:
            form = rng.choice(("({})", "{}-", "\u2212{}"))
            _set(doc, line, "amount", form.format(doc.style.amount(-amount)))


def padded_values(doc: Doc, rng: random.Random) -> None:
    """Spaces, no-break spaces and tabs around values."""
    for line in doc.data_lines():
        assert line.cells is not None
        line.cells = [
            rng.choice(("", " ", "\u00a0", "  ")) + c + rng.choice(("", " ", "\u00a0", "\t"))
            for c in line.cells
        ]


def other_decimal_mark(doc: Doc, rng: random.Random) -> None:
    """Some amounts written with the other decimal mark ("1234.56" in a French file)."""
    other = "." if doc.style.decimal == "," else ","
    for line in _pick(doc, rng, 0.3, column="amount"):
        text = f"{doc.invoice(line).amount:.2f}".replace(".", other)
        _set(doc, line, "amount", text)


def mixed_line_ends(doc: Doc, rng: random.Random) -> None:
    """CRLF, LF and lone CR line ends in one file."""
    doc.mixed_ends = rng.randrange(2**32)


def dropped_column(doc: Doc, rng: random.Random) -> None:
    """A required column missing altogether (the whole file cannot be read)."""
    present = [c for c in ("amount", "invoice_date") if c in doc.order]
    if not present:
        return
    col = doc.col(rng.choice(present))
    for line in doc.lines:
        if line.cells is not None and line.raw is None:
            del line.cells[col]
    del doc.order[col]


def extra_columns(doc: Doc, rng: random.Random) -> None:
    """Columns the ledger does not need, one without a header."""
    for k, line in enumerate(doc.lines):
        if line.cells is not None and line.raw is None:
            line.cells += ["Commentaire", "", "Statut"] if k == 0 else ["x", str(k), "ouvert"]
    doc.order += ["comment", "unnamed", "status"]


def scientific_amounts(doc: Doc, rng: random.Random) -> None:
    """Amounts in scientific notation (a spreadsheet column too narrow): rejected."""
    for line in _pick(doc, rng, column="amount"):
        text = f"{doc.invoice(line).amount:.3E}".replace(".", doc.style.decimal)
        _set(doc, line, "amount", text, damage=True)


def nul_byte(doc: Doc, rng: random.Random) -> None:
    """A NUL byte in one cell (a corrupted transfer): the whole file is refused."""
    rows = doc.data_lines()
    if rows:
        line = rng.choice(rows)
        assert line.cells is not None
        line.cells[0] += "\x00"


@dataclass(frozen=True)
class Kind:
    damage: Callable[[Doc, random.Random], None]
    #: True when every clean invoice must be kept with its exact figures.
    all_kept: bool
    #: Styles the kind applies to.
    styles: tuple[str, ...] = ("fr", "en")


KINDS: dict[str, Kind] = {
    "dropped_cells": Kind(dropped_cells, False),
    "columns_reordered": Kind(columns_reordered, True),
    "values_swapped": Kind(values_swapped, False),
    "thousands_separators": Kind(thousands_separators, True),
    "currency_symbols": Kind(currency_symbols, True),
    "stray_quotes": Kind(stray_quotes, False),
    "truncated_lines": Kind(truncated_lines, False),
    "duplicated_rows": Kind(duplicated_rows, True),
    "wrong_encoding": Kind(wrong_encoding, True),
    "byte_order_mark": Kind(byte_order_mark, True),
    "mixed_date_formats": Kind(mixed_date_formats, True, ("fr",)),
    "blank_lines": Kind(blank_lines, True),
    "totals_rows": Kind(totals_rows, True),
    "formula_cells": Kind(formula_cells, False),
    "negative_styles": Kind(negative_styles, True),
    "padded_values": Kind(padded_values, True),
    "other_decimal_mark": Kind(other_decimal_mark, True),
    "mixed_line_ends": Kind(mixed_line_ends, True),
    "dropped_column": Kind(dropped_column, False),
    "extra_columns": Kind(extra_columns, True),
    "scientific_amounts": Kind(scientific_amounts, False),
    "nul_byte": Kind(nul_byte, False),
}


def pollute(seed: int, kinds: list[str], style: str = "fr", n: int = 30) -> Polluted:
    """The clean ledger of ``seed`` rendered in ``style`` and damaged by ``kinds`` in order."""
    rng = random.Random(f"{seed}:{','.join(kinds)}:{style}")
    doc = render(clean_ledger(seed, n), STYLES[style])
    for name in kinds:
        KINDS[name].damage(doc, rng)
        doc.kinds.append(name)
    return serialise(doc, all(KINDS[k].all_kept for k in kinds))
