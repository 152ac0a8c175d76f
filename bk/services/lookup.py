"""Finding things by what a planner types: yarns by id, description, supplier or colour; styles by a
loose name (a base without its version, odd spacing or case) among the styles the snapshot knows; and ids in a
set, fast."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from bk.services.styles import family_key, norm_key


def isin(values: pd.Series, allowed) -> np.ndarray:
    """Membership as a bool array; via object arrays because pandas' Arrow-string isin loops in Python."""
    allowed = pd.unique(np.asarray(pd.Series(allowed).astype(object)))
    return values.astype(object).isin(allowed).to_numpy(dtype=bool)


YARN_SEARCH_COLUMNS = ("yarn_id", "description", "supplier", "color", "yarn_type")


def search_yarns(yarns: pd.DataFrame, query: str, *, columns: Iterable[str] = YARN_SEARCH_COLUMNS) -> pd.DataFrame:
    """The rows of ``yarns`` matching every word of ``query`` (case-insensitive) in any of ``columns``
    present (id, description, supplier, colour, type): '19003', 'kevlar', 'unifi black' all work.

    An empty query returns every row. Rows keep their order; the input is not changed.
    """
    words = [w for w in str(query).lower().split() if w]
    if not words:
        return yarns
    present = [c for c in columns if c in yarns.columns]
    if not present:
        raise ValueError(f"none of the search columns {', '.join(columns)} is in the yarn table")
    text = yarns[present].astype("string").fillna("").agg(" ".join, axis=1).str.lower()
    hit = pd.Series(True, index=yarns.index)
    for word in words:
        hit &= text.str.contains(word, regex=False)
    return yarns[hit]


def match_styles(query: str, styles: Iterable[str], *, limit: int = 10, cutoff: float = 0.75) -> list[str]:
    """Known styles a typed style may mean, best first (at most ``limit``):

    1. the same style ignoring spaces and case (``' cf5049n/0 '`` → ``CF5049N/0``);
    2. the versions of the same base (``DFF446J`` → ``DFF446J/0``, ``DFF446J/1``), in style order;
    3. only when neither exists: styles whose base is close to the typed base (difflib ratio ≥ ``cutoff``:
       a typo, a missing letter), closest first.

    An empty list means no known style is near: the caller should refuse the name, not add it.
    """
    known = pd.Series(sorted({str(s).strip() for s in styles if s is not None and str(s).strip()}), dtype="string")
    typed = pd.Series([str(query or "")], dtype="string")
    key, base = norm_key(typed).iloc[0], family_key(typed).iloc[0]
    if not key or known.empty:
        return []
    keys, bases = norm_key(known), family_key(known)
    out: list[str] = list(known[keys == key])
    out += [s for s in known[bases == base] if s not in out]
    if not out:
        unique_bases = sorted(set(bases))
        close = difflib.get_close_matches(base, unique_bases, n=limit, cutoff=cutoff)
        for near in close:
            out += [s for s in known[bases == near] if s not in out]
    return out[:limit]
