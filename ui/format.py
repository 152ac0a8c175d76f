"""Display helpers shared by pages: findings tables and downloads (text only, never HTML)."""

from __future__ import annotations

import html
import io
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Markdown (and Streamlit's :colour[...] / :material/...: / $LaTeX$) punctuation: escaped, it shows as itself
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def plain(text: object) -> str:
    """Text (a message with file names or cells from the exports) for st.error/st.markdown: every Markdown
    character escaped, so ``![pix](https:evil.example)`` is shown as written, never an image or a link."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def plot_label(text: object) -> str:
    """Text for a Plotly label (axis category, legend, hover): HTML-escaped, since Plotly renders its subset of
    HTML (<a href>, <b>, <br>) in labels; the escaped form is shown as written."""
    return html.escape(str(text), quote=False)


def plot_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, text index and text column names are safe Plotly labels."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            text = values.astype("string")
            out[column] = text.map(plot_label, na_action="ignore").astype("string")
    if out.index.dtype == object or isinstance(out.index.dtype, (pd.StringDtype, pd.CategoricalDtype)):
        out.index = out.index.map(lambda v: v if pd.isna(v) else plot_label(v))
    out.columns = [plot_label(c) if isinstance(c, str) else c for c in out.columns]
    return out


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
