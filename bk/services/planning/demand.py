"""The demand of record: the BOM cleaned, each KO's yarn split by the chain of sources (DOMAIN.md §7), the BOM
file against eFab's percentages, and forecast demand as rows per yarn."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bk.errors import BkError
from bk.services.lookup import isin
from bk.services.memo import per_frame
from bk.services.planning.calendar import check_bucket_columns
from bk.services.styles import norm_key

BOM_NORMALISE_RANGE = (0.90, 1.10)
BOM_DIFF_POINTS = 1.05  # BOM file fractions are eFab's % truncated to 2 decimals: up to 1 point apart is no finding

# where a KO's yarn split comes from, in the order of the demand-of-record chain (DOMAIN.md §7)
BOM_EFAB_KO = "eFab KO report"
BOM_FILE = "BOM file"
BOM_EFAB_STYLE = "eFab style report"
BOM_PREFIX = "base-prefix BOM"
BOM_NONE = "none"


def prepare_bom(bom: pd.DataFrame, *, known_yarns: pd.Series | None = None,
                normalise_range: tuple[float, float] = BOM_NORMALISE_RANGE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean BOM: one row per (style, yarn) with ``fraction``; and its findings.

    Blank and junk lines (no yarn, no positive fraction) are dropped and counted; repeated (style, yarn) lines
    are summed; a style whose fractions sum within ``normalise_range`` is scaled to 1.0, others are kept as
    they are and reported. Columns: style, style_key, yarn_id, fraction, style_sum, normalised, known_yarn.
    """
    if isinstance(bom["style"].dtype, pd.CategoricalDtype):  # strip the categories, not every row
        raw_codes = bom["style"].cat.codes.to_numpy()
        stripped = pd.Series(bom["style"].cat.categories, dtype="string").str.strip()
        cat_codes, styles = pd.factorize(stripped.replace("", pd.NA).to_numpy(dtype=object, na_value=None),
                                         sort=True)
        row_codes = np.where(raw_codes >= 0, cat_codes[raw_codes], -1) if len(cat_codes) else np.full(len(bom), -1)
    else:
        text = bom["style"].astype("string").str.strip().replace("", pd.NA)
        row_codes, styles = pd.factorize(text.to_numpy(dtype=object, na_value=None), sort=True)
    yarn = bom["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    value = pd.to_numeric(bom["bom_fraction"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    junk = (row_codes < 0) | np.isnan(yarn) | ~(value > 0)
    findings = []
    if junk.any():
        findings.append({"style": "", "yarn_id": pd.NA, "severity": "info",
                         "message": f"{int(junk.sum())} blank or junk BOM lines ignored"})
    style_codes, yarn, value = row_codes[~junk], yarn[~junk].astype("int64"), value[~junk]
    # repeated (style, yarn) lines summed, sorted by style then yarn (factorised ints: no string groupby)
    pair_codes, pairs = pd.factorize(style_codes.astype("int64") * (int(yarn.max(initial=0)) + 1) + yarn, sort=True)
    summed = np.bincount(pair_codes, weights=value, minlength=len(pairs))
    pair_style = pairs // (int(yarn.max(initial=0)) + 1)
    pair_yarn = pairs % (int(yarn.max(initial=0)) + 1)
    style_sum = np.bincount(pair_style, weights=summed, minlength=len(styles))[pair_style]
    low, high = normalise_range
    normalised = (style_sum >= low) & (style_sum <= high)
    b = pd.DataFrame({"style": pd.array(np.asarray(styles, dtype=object)[pair_style], dtype="string"),
                      "yarn_id": pair_yarn.astype("int64"), "bom_fraction": summed, "style_sum": style_sum,
                      "normalised": normalised,
                      "fraction": np.where(normalised, summed / np.where(style_sum > 0, style_sum, 1.0), summed)})
    off = ~normalised
    for style_name, total in dict(zip(b["style"].to_numpy(dtype=object)[off], style_sum[off], strict=True)).items():
        findings.append({"style": style_name, "yarn_id": pd.NA, "severity": "warning",
                         "message": f"fractions sum to {total:.3f}, outside {low:.2f}–{high:.2f}: used as they are"})
    b["known_yarn"] = True if known_yarns is None else isin(b["yarn_id"], known_yarns.dropna())
    unknown = b.loc[~b["known_yarn"], "yarn_id"].unique()
    if len(unknown):
        findings.append({"style": "", "yarn_id": pd.NA, "severity": "warning",
                         "message": f"{len(unknown)} BOM yarns are not in the yarn inventory (no stock, no cost)"})
    b["style_key"] = norm_key(b["style"])
    out = b[["style", "style_key", "yarn_id", "fraction", "style_sum", "normalised", "known_yarn"]]
    out = out.astype({"yarn_id": "int64", "fraction": "float64"}).reset_index(drop=True)
    return out, pd.DataFrame(findings, columns=["style", "yarn_id", "severity", "message"]).astype(
        {"yarn_id": "Int64", "style": "string"})


@per_frame
def prepared_bom(bom: pd.DataFrame, inventory: pd.DataFrame, yarn_master: pd.DataFrame | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``prepare_bom`` knowing the yarns of the yarn inventory (and of the yarn master when given); kept per
    frame objects: read what it returns, never change it."""
    known = inventory["yarn_id"]
    if yarn_master is not None:
        known = pd.concat([known, yarn_master["yarn_id"]], ignore_index=True)
    return prepare_bom(bom, known_yarns=known)


@per_frame
def _report_split(report: pd.DataFrame | None) -> dict[str, dict[tuple[str, int], float]]:
    """eFab's Percentage as fractions: {"knit_order": {(ko, yarn): f}, "style_key": {(style key, yarn): f}};
    the first positive percentage of each pair counts. Kept per report frame: read it, never change it."""
    out: dict[str, dict[tuple[str, int], float]] = {"knit_order": {}, "style_key": {}}
    if report is None or report.empty or "percentage" not in report:
        return out
    yarn = report["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    pct = pd.to_numeric(report["percentage"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    styles = norm_key(report["style"]).to_numpy(dtype=object, na_value=None)
    kos = (report["knit_order"].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
           if "knit_order" in report else np.full(len(report), None, dtype=object))
    by_ko, by_style = out["knit_order"], out["style_key"]
    for ko, style, y, p in zip(kos, styles, yarn, pct, strict=True):
        if not (np.isfinite(y) and np.isfinite(p) and p > 0):
            continue
        if ko is not None:
            by_ko.setdefault((ko, int(y)), p / 100)
        if style is not None:
            by_style.setdefault((style, int(y)), p / 100)
    return out


@per_frame
def _report_lines(report: pd.DataFrame | None) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """``_report_split`` by KO and by style key: {"knit_order": {ko: [(yarn, f), ...]}, "style_key": {...}}."""
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for kind, pairs in _report_split(report).items():
        lines = out[kind] = {}
        for (key, yarn), fraction in pairs.items():
            lines.setdefault(key, []).append((yarn, fraction))
    return out


@per_frame
def _bom_lines(bom: pd.DataFrame) -> tuple[dict[str, list[tuple[int, float]]], dict[str, str]]:
    """The prepared BOM as {style key: [(yarn, fraction), ...]} (file order) and the first style key (in sort
    order) of each base before ``/``, the base-prefix stand-in."""
    lines: dict[str, list[tuple[int, float]]] = {}
    for key, yarn, fraction in zip(bom["style_key"].to_numpy(dtype=object, na_value=None),
                                   bom["yarn_id"].to_numpy(dtype="int64").tolist(),
                                   bom["fraction"].to_numpy(dtype=float).tolist(), strict=True):
        if key is not None:
            lines.setdefault(key, []).append((yarn, fraction))
    first: dict[str, str] = {}
    for key in lines:
        family = key.split("/", 1)[0]
        if family not in first or key < first[family]:
            first[family] = key
    return lines, first


def demand_splits(kos: pd.DataFrame, bom: pd.DataFrame, *, efab_ko: pd.DataFrame | None = None,
                  efab_style: pd.DataFrame | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """The demand of record: each KO's yarn split and where it comes from (DOMAIN.md §7).

    ``kos`` has knit_order and style; ``bom`` is the prepared BOM; ``efab_ko`` / ``efab_style`` are eFab's
    Yarn_Demand_By_Style_KO / _By_Style exports. In order: eFab's Percentage for a KO its KO report lists
    (the ERP's current BOM), the BOM file for the style, eFab's By_Style Percentage for the style, the BOM of
    the first BOM-file style of the same base (before ``/``). Returns ``bom_source`` per row of ``kos`` (same
    index; ``none`` when no source has the KO) and the split: one row per (row of kos, yarn) with ``row``
    (position in kos), yarn_id, fraction, bom_source.
    """
    ko_keys = kos["knit_order"].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
    style_keys = norm_key(kos["style"]).to_numpy(dtype=object, na_value=None)
    families = [None if k is None else k.split("/", 1)[0] for k in style_keys]  # = styles.family_key
    by_ko = _report_lines(efab_ko)["knit_order"]
    by_style = _report_lines(efab_style)["style_key"]
    by_file, first_of_family = _bom_lines(bom)
    # the base-prefix stand-in is looked up only for KOs no other source has
    stand_in = {fam: first_of_family[fam] for ko, style, fam in zip(ko_keys, style_keys, families, strict=True)
                if fam in first_of_family and ko not in by_ko and style not in by_file and style not in by_style}
    source = np.full(len(kos), BOM_NONE, dtype=object)
    rows: list[int] = []
    yarns: list[int] = []
    fractions: list[float] = []
    sources: list[str] = []
    for r, (ko, style, fam) in enumerate(zip(ko_keys, style_keys, families, strict=True)):
        if ko in by_ko:
            name, lines = BOM_EFAB_KO, by_ko[ko]
        elif style in by_file:
            name, lines = BOM_FILE, by_file[style]
        elif style in by_style:
            name, lines = BOM_EFAB_STYLE, by_style[style]
        elif fam in stand_in:
            name, lines = BOM_PREFIX, by_file[stand_in[fam]]
        else:
            continue
        source[r] = name
        for yarn, fraction in lines:
            rows.append(r)
            yarns.append(yarn)
            fractions.append(fraction)
            sources.append(name)
    split = pd.DataFrame({"row": np.array(rows, dtype="int64"), "yarn_id": np.array(yarns, dtype="int64"),
                          "fraction": np.array(fractions, dtype=float),
                          "bom_source": pd.array(sources, dtype="string")})
    return pd.Series(source, index=kos.index, dtype="string"), split


def bom_differences(bom: pd.DataFrame, efab_ko: pd.DataFrame | None, efab_style: pd.DataFrame | None) -> pd.DataFrame:
    """The BOM file against eFab's percentages, for styles both have: one row per (style, yarn) whose shares
    differ by more than 1 point (the file truncates to two decimals) or that only one side lists.
    Columns: style, yarn_id, file_pct, efab_pct, difference_pct."""
    return _bom_differences(bom, efab_ko, efab_style).copy()


@per_frame
def _bom_differences(bom: pd.DataFrame, efab_ko: pd.DataFrame | None, efab_style: pd.DataFrame | None
                     ) -> pd.DataFrame:
    cols = {"style": "string", "yarn_id": "int64", "file_pct": "float64", "efab_pct": "float64",
            "difference_pct": "float64"}
    efab: dict[tuple[str, int], float] = {}
    for report in (efab_ko, efab_style):
        for pair, fraction in _report_split(report)["style_key"].items():
            efab.setdefault(pair, fraction)
    efab_styles = {style for style, _ in efab}
    pick = isin(bom["style_key"], list(efab_styles)) if efab_styles else np.zeros(len(bom), dtype=bool)
    b = bom.loc[pick]
    raw = np.where(b["normalised"], b["fraction"] * b["style_sum"], b["fraction"])
    file_pairs = {(k, int(y)): float(f) for k, y, f in zip(b["style_key"].to_numpy(dtype=object),
                                                            b["yarn_id"].to_numpy(), raw, strict=True)}
    names = dict(zip(b["style_key"].to_numpy(dtype=object), b["style"].to_numpy(dtype=object), strict=True))
    out = []
    for pair in sorted(set(file_pairs) | {p for p in efab if p[0] in names}):
        file_pct, efab_pct = 100 * file_pairs.get(pair, 0.0), 100 * efab.get(pair, 0.0)
        if abs(file_pct - efab_pct) > BOM_DIFF_POINTS:
            out.append((names[pair[0]], pair[1], file_pct, efab_pct, file_pct - efab_pct))
    frame = pd.DataFrame(out, columns=list(cols)).astype(cols)
    return frame.sort_values(["style", "yarn_id"]).reset_index(drop=True)


def forecast_by_yarn(forecast_demand: pd.DataFrame | None, labels: list[str]) -> pd.DataFrame:
    """Forecast yarn lbs per bucket as demand rows (yarn_id + bucket columns), one row per yarn."""
    if forecast_demand is None or not len(forecast_demand):
        return pd.DataFrame({"yarn_id": pd.Series(dtype="int64"), **{b: pd.Series(dtype="float64") for b in labels}})
    check_bucket_columns(forecast_demand, labels, "forecast_demand")
    if "yarn_id" not in forecast_demand:
        raise BkError("forecast_demand lacks the column yarn_id; expected one row per yarn_id with the bucket columns")
    f = forecast_demand.loc[forecast_demand["yarn_id"].notna().to_numpy(dtype=bool), ["yarn_id", *labels]]
    f = f.astype({"yarn_id": "int64", **{b: "float64" for b in labels}}).fillna({b: 0.0 for b in labels})
    return f.groupby("yarn_id", as_index=False)[labels].sum()
