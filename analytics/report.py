"""Exports: the aged balance as an Excel workbook and the monthly CFO report (Excel and HTML).

Workbooks hold real numbers and dates with number formats (never numbers as text), a frozen
header row, a totals row per money column, one sheet per view. Text cells that start with
``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) are neutralised with a leading quote so
that no spreadsheet reads them as formulas. The HTML report escapes every data value.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from analytics import charts, i18n
from analytics.safety import neutralise

MONEY_FORMAT = "#,##0.00"
DATE_FORMATS = {"fr": "dd/mm/yyyy", "en": "dd mmm yyyy"}

TEXT, MONEY, DATE, INT, SHARE, DAYS, NUMBER = (
    "text",
    "money",
    "date",
    "int",
    "share",
    "days",
    "number",
)


@dataclass(frozen=True)
class Col:
    """A column of an exported sheet: source column, header, kind, total row or not."""

    name: str
    header: str
    kind: str = TEXT
    total: bool = False


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class _Book:
    def __init__(self, lang: str):
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.lang = lang
        self.fmt = {
            "header": self.wb.add_format(
                {"bold": True, "bg_color": "#1f4e79", "font_color": "#ffffff", "text_wrap": True}
            ),
            MONEY: self.wb.add_format({"num_format": MONEY_FORMAT}),
            DATE: self.wb.add_format({"num_format": DATE_FORMATS.get(lang, "dd/mm/yyyy")}),
            INT: self.wb.add_format({"num_format": "0"}),
            SHARE: self.wb.add_format({"num_format": "0.0%"}),
            DAYS: self.wb.add_format({"num_format": "0.0"}),
            NUMBER: self.wb.add_format({"num_format": "#,##0.00"}),
            TEXT: self.wb.add_format({}),
            "total": self.wb.add_format({"bold": True, "top": 1}),
            "total_money": self.wb.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT}),
            "title": self.wb.add_format({"bold": True, "font_size": 14}),
        }

    def cell(self, ws: Any, row: int, col: int, value: Any, kind: str) -> None:
        if _missing(value):
            ws.write_blank(row, col, None)
        elif kind in (MONEY, SHARE, DAYS, NUMBER):
            ws.write_number(row, col, float(value), self.fmt[kind])
        elif kind == INT:
            ws.write_number(row, col, int(value), self.fmt[INT])
        elif kind == DATE:
            d = (
                value
                if isinstance(value, datetime)
                else datetime.combine(value, datetime.min.time())
            )
            ws.write_datetime(row, col, d, self.fmt[DATE])
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value)
        else:
            ws.write_string(row, col, str(neutralise(str(value))))

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        cols: Sequence[Col],
        *,
        title: str | None = None,
        totals_label: str | None = None,
    ) -> tuple[Any, int, int]:
        """Write ``frame`` on a new sheet; returns the sheet, first and last data rows."""
        ws = self.wb.add_worksheet(_sheet_name(name))
        top = 0
        if title:
            ws.write_string(0, 0, str(neutralise(title)), self.fmt["title"])
            top = 2
        for j, col in enumerate(cols):
            ws.write_string(top, j, col.header, self.fmt["header"])
            ws.set_column(j, j, 14 if col.kind != TEXT else 24)
        ws.freeze_panes(top + 1, 0)
        for i, record in enumerate(frame.itertuples(index=False)):
            values = dict(zip(frame.columns, record, strict=True))
            for j, col in enumerate(cols):
                self.cell(ws, top + 1 + i, j, values.get(col.name), col.kind)
        first, last = top + 1, top + len(frame)
        if totals_label is not None and any(c.total for c in cols):
            row = last + 1
            ws.write_string(row, 0, totals_label, self.fmt["total"])
            for j, col in enumerate(cols):
                if not col.total:
                    continue
                total = sum(
                    (Decimal(str(v)) for v in frame[col.name] if not _missing(v)), Decimal(0)
                )
                formula = (
                    f"=SUM({xl_rowcol_to_cell(first, j)}:{xl_rowcol_to_cell(last, j)})"
                    if len(frame)
                    else "=0"
                )
                ws.write_formula(row, j, formula, self.fmt["total_money"], float(total))
        if len(frame):
            ws.autofilter(top, 0, last, len(cols) - 1)
        return ws, first, last

    def close(self) -> bytes:
        self.wb.close()
        return self.buffer.getvalue()


def _sheet_name(name: str) -> str:
    cleaned = "".join(ch for ch in name if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


def aged_balance_columns(labels: Sequence[str], lang: str) -> list[Col]:
    """Columns of the per-customer aged balance sheet."""
    cols = [
        Col("customer_id", i18n.t("col_customer_id", lang)),
        Col("customer_name", i18n.t("col_customer_name", lang)),
        Col("currency", i18n.t("col_currency", lang)),
    ]
    cols += [Col(label, i18n.bucket_label(label, lang), MONEY, True) for label in labels]
    cols.append(Col("total", i18n.t("col_total", lang), MONEY, True))
    return cols


def invoice_columns(lang: str) -> list[Col]:
    """Columns of the open-invoice sheet (``views.INVOICE_COLUMNS``)."""
    kinds = {
        "invoice_date": DATE,
        "due_date": DATE,
        "amount": MONEY,
        "open_amount": MONEY,
        "dpd": INT,
    }
    return [
        Col(name, i18n.t(f"col_{name}", lang), kinds.get(name, TEXT), name == "open_amount")
        for name in (
            "invoice_id",
            "customer_id",
            "customer_name",
            "invoice_date",
            "due_date",
            "amount",
            "open_amount",
            "dpd",
            "currency",
            "disputed",
            "doubtful",
        )
    ]


def aged_balance_xlsx(
    customers: pd.DataFrame,
    invoices: pd.DataFrame | None,
    labels: Sequence[str],
    lang: str,
    as_of: date,
) -> bytes:
    """The aged balance as a workbook: one sheet per customer, one of the open invoices.

    ``customers`` is ``views.aged_balance``, ``invoices`` ``views.open_invoices`` (optional).
    Each sheet has a title with the as-of date, a frozen header, and a totals row
    (SUM formulas with their values) under every money column.
    """
    book = _Book(lang)
    title = (
        f"{i18n.t('aged_title', lang)} — {i18n.t('xlsx_as_of', lang)} {i18n.fmt_date(as_of, lang)}"
    )
    book.table(
        i18n.t("sheet_aged_customers", lang),
        customers,
        aged_balance_columns(labels, lang),
        title=title,
        totals_label=i18n.t("aged_totals", lang),
    )
    if invoices is not None:
        book.table(
            i18n.t("sheet_aged_invoices", lang),
            invoices,
            invoice_columns(lang),
            title=title,
            totals_label=i18n.t("aged_totals", lang),
        )
    return book.close()


TILE_KEYS = {
    "outstanding": "tile_outstanding",
    "overdue_share": "tile_overdue_share",
    "dso": "tile_dso",
    "bpdso": "tile_bpdso",
    "add": "tile_add",
    "cei": "tile_cei",
    "write_off_ratio": "tile_write_off_ratio",
    "top_share": "tile_top_share",
}
_TILE_KIND = {"money": MONEY, "share": SHARE, "days": DAYS, "percent": NUMBER}


def _summary_frame(data: dict[str, Any], lang: str) -> pd.DataFrame:
    rows = []
    for tile in data["tiles"]["tiles"]:
        rows.append(
            {
                "indicator": i18n.t(TILE_KEYS[tile["key"]], lang),
                "kind": tile["kind"],
                "value": tile["value"],
                "previous": tile["previous"],
                "delta": tile["delta"],
            }
        )
    return pd.DataFrame(rows)


def cfo_report_xlsx(data: dict[str, Any], lang: str) -> bytes:
    """The monthly CFO report as one workbook.

    ``data`` holds ``as_of``, ``labels`` (bucket labels), ``tiles`` (``views.overview_tiles``),
    ``history`` (``views.dso_history``), ``aged_totals``, ``top_overdue`` and ``losses`` (the
    results of the views of the same names). Sheets: summary (indicators with the previous
    month and the change), DSO history with a line chart, monthly aged balance with a stacked
    column chart, top risks, losses and provisions.
    """
    book = _Book(lang)
    as_of = data["as_of"]
    title = f"{i18n.t('report_title', lang)} — {i18n.fmt_date(as_of, lang)}"
    summary = _summary_frame(data, lang)
    ws = book.wb.add_worksheet(_sheet_name(i18n.t("sheet_summary", lang)))
    ws.write_string(0, 0, title, book.fmt["title"])
    headers = ["xlsx_indicator", "xlsx_value", "xlsx_previous", "xlsx_delta"]
    for j, key in enumerate(headers):
        ws.write_string(2, j, i18n.t(key, lang), book.fmt["header"])
        ws.set_column(j, j, 34 if j == 0 else 18)
    ws.freeze_panes(3, 0)
    for i, row in enumerate(summary.itertuples(index=False)):
        kind = _TILE_KIND[row.kind]
        ws.write_string(3 + i, 0, row.indicator)
        book.cell(ws, 3 + i, 1, row.value, kind)
        book.cell(ws, 3 + i, 2, row.previous, kind)
        book.cell(ws, 3 + i, 3, row.delta, kind)
    ws.write_string(3 + len(summary) + 1, 0, i18n.t("xlsx_as_of", lang))
    book.cell(ws, 3 + len(summary) + 1, 1, as_of, DATE)

    labels = list(data["labels"])
    hist = data["history"]
    dso_cols = [
        Col("month_end", i18n.t("col_month_end", lang), DATE),
        Col("dso_period", i18n.t("dso_period", lang), DAYS),
        Col("dso_average", i18n.t("dso_average", lang), DAYS),
        Col("dso_countback", i18n.t("dso_countback", lang), DAYS),
        Col("bpdso", i18n.t("tile_bpdso", lang), DAYS),
        Col("add", i18n.t("tile_add", lang), DAYS),
        Col("cei", i18n.t("tile_cei", lang), NUMBER),
    ]
    sheet, first, last = book.table(i18n.t("sheet_dso", lang), hist, dso_cols, title=title)
    if len(hist):
        chart = book.wb.add_chart({"type": "line"})
        for j in (1, 2, 3):
            chart.add_series(
                {
                    "name": [sheet.name, first - 1, j],
                    "categories": [sheet.name, first, 0, last, 0],
                    "values": [sheet.name, first, j, last, j],
                }
            )
        chart.set_title({"name": i18n.t("dso_trend_title", lang)})
        sheet.insert_chart(first, len(dso_cols) + 1, chart, {"x_scale": 1.6, "y_scale": 1.3})

    aging_cols = [Col("month_end", i18n.t("col_month_end", lang), DATE)]
    aging_cols += [Col(label, i18n.bucket_label(label, lang), MONEY) for label in labels]
    aging_cols.append(Col("ar", i18n.t("col_total", lang), MONEY))
    sheet, first, last = book.table(
        i18n.t("sheet_aging_history", lang), hist, aging_cols, title=title
    )
    if len(hist):
        chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
        for j in range(1, len(labels) + 1):
            chart.add_series(
                {
                    "name": [sheet.name, first - 1, j],
                    "categories": [sheet.name, first, 0, last, 0],
                    "values": [sheet.name, first, j, last, j],
                }
            )
        chart.set_title({"name": i18n.t("aging_history_title", lang)})
        sheet.insert_chart(first, len(aging_cols) + 1, chart, {"x_scale": 1.6, "y_scale": 1.3})

    top_cols = [
        Col("customer_id", i18n.t("col_customer_id", lang)),
        Col("customer_name", i18n.t("col_customer_name", lang)),
        Col("overdue", i18n.t("col_overdue", lang), MONEY, True),
        Col("total", i18n.t("col_total", lang), MONEY, True),
        Col("overdue_share", i18n.t("col_share", lang), SHARE),
    ]
    book.table(
        i18n.t("sheet_top_risks", lang),
        data["top_overdue"],
        top_cols,
        title=i18n.t("top_overdue_title", lang),
        totals_label=i18n.t("aged_totals", lang),
    )

    prov = data["losses"]["provision"]
    prov_frame = pd.DataFrame(prov["rows"])
    prov_frame["bucket"] = [i18n.bucket_label(b, lang) for b in prov_frame["bucket"]]
    prov_cols = [
        Col("bucket", i18n.t("col_bucket", lang)),
        Col("items", i18n.t("col_items", lang), INT),
        Col("base", i18n.t("col_base", lang), MONEY, True),
        Col("rate", i18n.t("col_rate", lang), SHARE),
        Col("provision", i18n.t("col_provision", lang), MONEY, True),
    ]
    sheet, _, last = book.table(
        i18n.t("nav_losses", lang),
        prov_frame,
        prov_cols,
        title=i18n.t("losses_provision_title", lang),
        totals_label=i18n.t("aged_totals", lang),
    )
    row = last + 3
    for key, value in _loss_ratios(data, lang):
        sheet.write_string(row, 0, key)
        book.cell(sheet, row, 1, value, SHARE)
        row += 1
    return book.close()


def _loss_ratios(data: dict[str, Any], lang: str) -> list[tuple[str, float | None]]:
    losses = data["losses"]
    basis = losses["write_off"].get("basis")
    basis_text = i18n.t(f"basis_{basis}", lang) if basis else i18n.na(lang)
    return [
        (
            i18n.t("losses_write_off", lang) + f" ({basis_text})",
            losses["write_off"]["ratio"],
        ),
        (i18n.t("losses_inflow", lang), losses["inflow"]["ratio"]),
        (i18n.t("losses_doubtful_share", lang), losses["doubtful"]["doubtful_share"]),
    ]


def _fmt_tile(kind: str, value: Any, lang: str, currency: str | None) -> str:
    if kind == "money":
        return i18n.fmt_money(value, lang, currency)
    if kind == "days":
        return i18n.fmt_days(value, lang)
    if kind == "percent":
        return i18n.fmt_percent_value(value, lang)
    return i18n.fmt_percent(value, lang)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { color: #1f4e79; } h2 { color: #1f4e79; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; }
td { text-align: right; } td:first-child { text-align: left; }
th { background: #1f4e79; color: #fff; }
.chart { page-break-inside: avoid; }
@media print { .chart { width: 100%; } }
"""


def cfo_report_html(data: dict[str, Any], lang: str) -> str:
    """The monthly CFO report as one printable HTML page (same ``data`` as the workbook).

    Every data value is escaped; the charts are Plotly figures with the library inlined once,
    so that the page needs no network.
    """
    as_of = data["as_of"]
    currency = data["tiles"].get("currency") or data["aged_totals"].get("currency")
    labels = list(data["labels"])
    title = f"{i18n.t('report_title', lang)} — {i18n.fmt_date(as_of, lang)}"
    parts = [
        f'<!DOCTYPE html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    prev = i18n.fmt_date(data["tiles"]["previous_date"], lang)
    rows = [
        [
            i18n.t(TILE_KEYS[tile["key"]], lang),
            _fmt_tile(tile["kind"], tile["value"], lang, currency),
            _fmt_tile(tile["kind"], tile["previous"], lang, currency),
        ]
        for tile in data["tiles"]["tiles"]
    ]
    parts.append(
        _html_table([i18n.t("xlsx_indicator", lang), i18n.fmt_date(as_of, lang), prev], rows)
    )
    figures = [
        charts.dso_trend(data["history"], lang),
        charts.aging_history(data["history"], labels, lang),
    ]
    for i, fig in enumerate(figures):
        parts.append('<div class="chart">')
        parts.append(fig.to_html(full_html=False, include_plotlyjs=i == 0))
        parts.append("</div>")
    parts.append(f"<h2>{html.escape(i18n.t('top_overdue_title', lang))}</h2>")
    top = data["top_overdue"]
    parts.append(
        _html_table(
            [
                i18n.t("col_customer_id", lang),
                i18n.t("col_customer_name", lang),
                i18n.t("col_overdue", lang),
                i18n.t("col_total", lang),
            ],
            [
                [
                    cid,
                    "" if name is None or name != name else str(name),
                    i18n.fmt_money(o, lang, currency),
                    i18n.fmt_money(tot, lang, currency),
                ]
                for cid, name, o, tot in zip(
                    top["customer_id"],
                    top["customer_name"],
                    top["overdue"],
                    top["total"],
                    strict=True,
                )
            ],
        )
    )
    parts.append(f"<h2>{html.escape(i18n.t('nav_losses', lang))}</h2>")
    parts.append(
        _html_table(
            [i18n.t("xlsx_indicator", lang), i18n.t("xlsx_value", lang)],
            [[k, i18n.fmt_percent(v, lang, 2)] for k, v in _loss_ratios(data, lang)],
        )
    )
    prov = data["losses"]["provision"]
    parts.append(
        _html_table(
            [
                i18n.t("col_bucket", lang),
                i18n.t("col_base", lang),
                i18n.t("col_rate", lang),
                i18n.t("col_provision", lang),
            ],
            [
                [
                    i18n.bucket_label(r["bucket"], lang),
                    i18n.fmt_money(r["base"], lang, currency),
                    i18n.fmt_percent(r["rate"], lang),
                    i18n.fmt_money(r["provision"], lang, currency),
                ]
                for r in prov["rows"]
            ]
            + [
                [
                    i18n.t("aged_totals", lang),
                    i18n.fmt_money(prov["base"], lang, currency),
                    "",
                    i18n.fmt_money(prov["total"], lang, currency),
                ]
            ],
        )
    )
    parts.append("</body></html>")
    return "".join(parts)
