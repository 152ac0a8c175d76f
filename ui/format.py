"""Display helpers shared by pages: findings tables and downloads (text only, never HTML)."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def findings_frame(findings) -> pd.DataFrame:
    """Findings as a table: file, row, column, severity, message."""
    return pd.DataFrame(
        [{"file": f.file, "row": f.row, "column": f.column, "severity": f.severity, "message": f.message}
         for f in findings],
        columns=["file", "row", "column", "severity", "message"],
    ).astype({"row": "Int64"})


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (= + - @) with a quote, unless numbers."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            text = out[column].astype("string")
            numeric = pd.to_numeric(text, errors="coerce").notna()
            risky = text.str.startswith(FORMULA_START, na=False) & ~numeric
            if risky.any():
                out[column] = text.where(~risky, "'" + text)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        neutralise_formulas(frame).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()
