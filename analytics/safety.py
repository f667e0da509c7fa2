"""Output safety for exports: text that a spreadsheet would run as a formula is neutralised.

A CSV or Excel cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula ("CSV injection",
OWASP). Such text gets a leading apostrophe, which every spreadsheet shows as text. Numbers,
dates and booleans are never touched: a negative amount stays a number.

Excel workbooks are written with ``xlsxwriter``'s typed writers (``write_string``,
``write_number``...), never ``write``, which would turn text starting with ``=`` into a formula.
"""

from __future__ import annotations

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a leading apostrophe when it is text starting with a formula trigger.

    Any other value (numbers, including negative ones, dates, None) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _formula_mask(column: pd.Series) -> pd.Series | None:
    """Cells of ``column`` holding text that starts with a trigger; None for non-text data."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    try:
        starts = column.str.startswith(FORMULA_TRIGGERS)
    except AttributeError:
        return None
    return starts.fillna(False).astype(bool)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column labels are neutralised.

    Numeric, boolean and date columns keep their dtype and values; in object columns only
    the text cells change.
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        mask = _formula_mask(column)
        if mask is None or not mask.any():
            continue
        out.isetitem(i, column.where(~mask, "'" + column.astype(str)))
    out.columns = [neutralise(c) for c in out.columns]
    return out


def frame_to_csv(frame: pd.DataFrame, *, sep: str = ",", decimal: str = ".") -> bytes:
    """``frame`` as CSV bytes (UTF-8 with a BOM, no index), formula-like text neutralised."""
    text = neutralise_frame(frame).to_csv(index=False, sep=sep, decimal=decimal)
    return text.encode("utf-8-sig")
