"""Supplier terms shared by every service: the lead-time chain (supplier list → observed PO lead time → default)
and the MOQ / order multiple of a supplier."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from bk.errors import BkError
from bk.services.memo import per_frame

DEFAULT_LEAD_DAYS = 14.0
LEAD_ENV = "BK_DEFAULT_LEAD_DAYS"
MAX_PLAUSIBLE_LEAD_DAYS = 3650.0  # ten years: anything longer is a typo, treated as missing

LEAD_LIST = "supplier list"
LEAD_OBSERVED = "median observed PO lead time"
# fewer POs than this are no lead time: one retired supplier's single PO (357 days) dated buys a year back
MIN_OBSERVED_POS = 3
LEAD_DEFAULT = "default"


def default_lead_days() -> float:
    """The one default lead time of every page: ``BK_DEFAULT_LEAD_DAYS`` (days) or 14."""
    raw = os.environ.get(LEAD_ENV, "").strip()
    if not raw:
        return DEFAULT_LEAD_DAYS
    try:
        days = float(raw)
    except ValueError:
        raise BkError(f"environment variable {LEAD_ENV} is {raw!r}; expected a number of days, e.g. 14") from None
    if not 0 <= days <= MAX_PLAUSIBLE_LEAD_DAYS:
        raise BkError(f"environment variable {LEAD_ENV} is {raw!r}; expected days between 0 and "
                      f"{MAX_PLAUSIBLE_LEAD_DAYS:g}, e.g. 14")
    return days


def supplier_key(values: pd.Series) -> pd.Series:
    """Supplier names compared ignoring case, spaces and punctuation: 'Deca Global' = 'DECA  GLOBAL'."""
    return values.astype("string").str.lower().str.replace(r"[^0-9a-z]", "", regex=True).replace("", pd.NA)


def _keys(values: pd.Series) -> list:
    return list(supplier_key(values).to_numpy(dtype=object, na_value=None))


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def supplier_list(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    """The supplier list by key: {key: {lead_time_days, moq_lbs, order_multiple_lbs, retired}}; a key listed
    both active and retired counts as active (the first active row wins)."""
    return {key: dict(entry) for key, entry in _supplier_list(frames.get("suppliers")).items()}


@per_frame
def _supplier_list(suppliers: pd.DataFrame | None) -> dict[str, dict]:
    """``supplier_list`` kept per frame object: read it, never change it."""
    if suppliers is None or suppliers.empty:
        return {}
    retired = (suppliers["retired"].astype("boolean").fillna(False).to_numpy(dtype=bool) if "retired" in suppliers
               else np.zeros(len(suppliers), dtype=bool))
    out: dict[str, dict] = {}
    for key, lead, moq, multiple, gone in zip(_keys(suppliers["supplier"]), _numbers(suppliers, "lead_time_days"),
                                              _numbers(suppliers, "moq_lbs"),
                                              _numbers(suppliers, "order_multiple_lbs"), retired, strict=True):
        if key is None or (key in out and (gone or not out[key]["retired"])):
            continue
        out[key] = {"lead_time_days": lead, "moq_lbs": moq, "order_multiple_lbs": multiple, "retired": bool(gone)}
    return out


def observed_lead_times(frames: Mapping[str, pd.DataFrame]) -> dict[str, tuple[float, int]]:
    """Median observed lead time per supplier key from YarnPO (requested − ordered, in days):
    {key: (median days, number of POs)}. Implausible spans (< 0 or > 3650 days) are left out."""
    return dict(_observed_lead_times(frames.get("yarn_po")))


@per_frame
def _observed_lead_times(po: pd.DataFrame | None) -> dict[str, tuple[float, int]]:
    """``observed_lead_times`` kept per frame object: read it, never change it."""
    if po is None or po.empty or not {"ordered_at", "requested_date", "supplier"} <= set(po.columns):
        return {}
    ordered = pd.to_datetime(po["ordered_at"], errors="coerce").dt.normalize()
    requested = pd.to_datetime(po["requested_date"], errors="coerce").dt.normalize()
    days = (requested - ordered).dt.days.to_numpy(dtype=float, na_value=np.nan)
    spans: dict[str, list[float]] = {}
    for key, span in zip(_keys(po["supplier"]), days, strict=True):
        if key is not None and _plausible(span):
            spans.setdefault(key, []).append(float(span))
    return {k: (float(np.median(v)), len(v)) for k, v in spans.items()}


def _plausible(days: float) -> bool:
    return math.isfinite(days) and 0 <= days <= MAX_PLAUSIBLE_LEAD_DAYS


def _disagree(listed: float, observed: float) -> bool:
    """The two lead times disagree by more than half: the shorter is under half the longer."""
    return min(listed, observed) < 0.5 * max(listed, observed)


def lead_time_findings(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Suppliers whose listed lead time and median observed PO lead time (from at least MIN_OBSERVED_POS POs)
    disagree by more than half; the plan uses the observed one. One row per supplier: supplier (as listed),
    listed_days, observed_days, pos, message."""
    observed = _observed_lead_times(frames.get("yarn_po"))
    suppliers = frames.get("suppliers")
    rows = []
    if suppliers is not None and not suppliers.empty:
        names = suppliers["supplier"].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
        for name, key in zip(names, _keys(suppliers["supplier"]), strict=True):
            entry = _supplier_list(suppliers).get(key)
            if key is None or entry is None or entry["retired"] or key not in observed or any(
                    r["key"] == key for r in rows):
                continue
            listed, (seen, pos) = entry["lead_time_days"], observed[key]
            if pos >= MIN_OBSERVED_POS and _plausible(listed) and _disagree(listed, seen):
                rows.append({"key": key, "supplier": name, "listed_days": float(listed), "observed_days": seen,
                             "pos": pos, "message": f"{name}: the supplier list says {listed:g} days lead time, its "
                             f"last {pos} POs took a median {seen:g} days (ordered to requested); the plan uses "
                             f"{seen:g}"})
    frame = pd.DataFrame(rows, columns=["key", "supplier", "listed_days", "observed_days", "pos", "message"])
    return frame.drop(columns="key").astype({"supplier": "string", "listed_days": "float64",
                                             "observed_days": "float64", "pos": "int64", "message": "string"})


def supplier_terms(frames: Mapping[str, pd.DataFrame], supplier: pd.Series, *,
                   default_lead_time_days: float | None = None) -> pd.DataFrame:
    """Lead time and order terms per row of ``supplier`` (same index): lead_time_days, lead_time_source,
    lead_time_defaulted, moq_lbs, order_multiple_lbs (NaN when unknown, retired or none), terms_note.

    Lead time chain: the supplier list's Lead_time (names matched ignoring case, spaces and punctuation;
    retired suppliers ignored) → the supplier's median observed lead time on YarnPO (requested − ordered, from
    at least MIN_OBSERVED_POS POs) →
    the one default (``default_lead_time_days``, else ``BK_DEFAULT_LEAD_DAYS``, else 14). A listed lead time
    outside 0–3650 days is implausible: treated as missing, the next source is used and the source says so.
    """
    default = default_lead_days() if default_lead_time_days is None else float(default_lead_time_days)
    listed = _supplier_list(frames.get("suppliers"))
    observed = _observed_lead_times(frames.get("yarn_po"))
    has_list = bool(listed) or ("suppliers" in frames and not frames["suppliers"].empty)
    codes, uniques = pd.factorize(supplier_key(supplier), use_na_sentinel=False)
    keys = [None if pd.isna(k) else k for k in uniques]
    n = len(keys)
    days, moq, multiple = np.full(n, default, dtype=float), np.full(n, np.nan), np.full(n, np.nan)
    source, note, defaulted = [""] * n, [""] * n, np.zeros(n, dtype=bool)
    for i, key in enumerate(keys):
        entry = listed.get(key)
        active = entry is not None and not entry["retired"]
        if active:
            moq[i] = entry["moq_lbs"] if entry["moq_lbs"] > 0 else np.nan
            multiple[i] = entry["order_multiple_lbs"] if entry["order_multiple_lbs"] > 0 else np.nan
        else:
            note[i] = "supplier retired: no MOQ" if entry is not None else "supplier not in the supplier list: no MOQ"
        prefix = ""
        seen = observed.get(key) if key in observed and observed[key][1] >= MIN_OBSERVED_POS else None
        if active:
            lead = entry["lead_time_days"]
            if _plausible(lead) and seen is not None and _disagree(lead, seen[0]):
                days[i] = seen[0]
                source[i] = (f"{LEAD_OBSERVED} ({seen[1]} POs: {seen[0]:g} days); the supplier list's {lead:g} "
                             "days disagree by more than half")
                continue
            if _plausible(lead):
                days[i], source[i] = lead, LEAD_LIST
                continue
            if np.isfinite(lead):
                prefix = f"supplier list's {lead:g} days implausible (outside 0–{MAX_PLAUSIBLE_LEAD_DAYS:g}); "
        if seen is not None:
            days[i] = seen[0]
            source[i] = f"{prefix}{LEAD_OBSERVED} ({seen[1]} POs)"
            continue
        if not has_list:
            why = "no supplier list"
        elif entry is not None and entry["retired"]:
            why = "supplier retired"
        elif entry is not None:
            why = "no lead time in the supplier list"
        else:
            why = "supplier not in the list"
        if key in observed:
            why += f"; only {observed[key][1]} PO(s) on record, {MIN_OBSERVED_POS} needed for an observed lead time"
        source[i] = f"{prefix}{LEAD_DEFAULT}: {why}"
        defaulted[i] = True
    # computed once per distinct supplier, spread back to the rows
    return pd.DataFrame({"lead_time_days": days[codes], "lead_time_source": pd.array(source, dtype="string")[codes],
                         "lead_time_defaulted": defaulted[codes], "moq_lbs": moq[codes],
                         "order_multiple_lbs": multiple[codes], "terms_note": pd.array(note, dtype="string")[codes]},
                        index=supplier.index)


def lead_times(frames: Mapping[str, pd.DataFrame], supplier: pd.Series, *,
               default_lead_time_days: float | None = None) -> pd.DataFrame:
    """Lead time per row of ``supplier`` (same index): lead_time_days, lead_time_source, lead_time_defaulted
    (the chain of ``supplier_terms``)."""
    return supplier_terms(frames, supplier, default_lead_time_days=default_lead_time_days)[
        ["lead_time_days", "lead_time_source", "lead_time_defaulted"]]
