"""What a snapshot lacks and which pages that limits: shown on the Data page before a save."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd

from bk.ingest.schema import CARRIED_KINDS, KINDS

# (page, export kinds any one of which serves, required?, what the page loses without them)
PAGE_NEEDS: tuple[tuple[str, tuple[str, ...], bool, str], ...] = (
    ("Yarn requirements", ("yarn_inventory",), True, "no plan: the page shows an error"),
    ("Yarn requirements", ("knit_orders",), True, "no plan: the page shows an error"),
    ("Yarn requirements", ("bom",), True, "no plan: the page shows an error"),
    ("Yarn requirements", ("expected_yarn", "yarn_po"), False, "no receipts: every open PO is ignored"),
    ("Yarn requirements", ("style_rates",), False, "knit orders spread with the median knitting rate"),
    ("Yarn requirements", ("suppliers",), False, "no MOQ, lead time or cost: order-by dates and $ assumed"),
    ("Yarn requirements", ("yarn_demand_by_style_ko", "yarn_demand"), False, "no reconciliation with eFab"),
    ("Yarn inventory", ("yarn_inventory",), True, "no positions: the page shows an error"),
    ("Yarn inventory", ("suppliers",), False, "lead times assumed: reorder points less reliable"),
    ("Yarn inventory", ("yarn_master", "expected_yarn"), False, "yarn type 'unknown' in the roll-ups"),
    ("Fabric pipeline", ("stage_g00", "stage_g02", "stage_i01", "stage_f01"), True,
     "no stage export: the page shows an error"),
    ("Fabric pipeline", ("sales_orders",), False, "no sales-order coverage"),
    ("Fabric pipeline", ("finished_styles",), False, "yds/lb from rolls or the median only"),
    ("Knitting capacity", ("machines",), True, "no machine schedule: the page shows an error"),
    ("Knitting capacity", ("knit_orders",), True, "no machine schedule: the page shows an error"),
    ("Knitting capacity", ("greige_styles",), False, "work centre of a style unknown: more orders unassigned"),
    ("Knitting capacity", ("style_rates",), False, "machine days from the median knitting rate"),
    ("Sales forecast", ("sales_activity",), True, "no forecast: the page shows an error"),
)


def missing_exports(kinds: Iterable[str], *, as_of: date,
                    earlier: Sequence[tuple[str, date, Sequence[str]]] = ()) -> pd.DataFrame:
    """One row per need of a page that the uploaded ``kinds`` do not serve.

    ``earlier`` lists saved snapshots as (label, as_of, kinds): master data (BOM, machines, rates …) missing
    here is taken from the latest one dated on or before ``as_of`` when it has it, so it limits nothing and
    is not listed. Columns: export (titles, ' or ' between alternatives), page, required (bool), effect.
    Required needs come first.
    """
    have = set(kinds)
    inherited = {k for label, day, ks in earlier if day <= as_of for k in ks if k in CARRIED_KINDS}
    rows = []
    for page, options, required, effect in PAGE_NEEDS:
        if have.intersection(options) or inherited.intersection(options):
            continue
        rows.append({"export": " or ".join(KINDS[k].title for k in options), "page": page, "required": required,
                     "effect": effect})
    frame = pd.DataFrame(rows, columns=["export", "page", "required", "effect"])
    return frame.sort_values("required", ascending=False, kind="stable").reset_index(drop=True)


def limited_pages(missing: pd.DataFrame) -> list[str]:
    """Pages that cannot open (a required export is missing), in page order."""
    return list(dict.fromkeys(missing.loc[missing["required"], "page"]))


def inherited_kinds(kinds: Iterable[str], *, as_of: date,
                    earlier: Sequence[tuple[str, date, Sequence[str]]]) -> dict[str, str]:
    """Master data and history kinds (``CARRIED_KINDS``) missing from ``kinds`` -> label of the latest earlier snapshot they will be taken from."""
    have = set(kinds)
    out: dict[str, str] = {}
    for label, day, ks in sorted(earlier, key=lambda e: e[1]):
        if day <= as_of:
            out.update({k: label for k in ks if k in CARRIED_KINDS and k not in have})
    return out
