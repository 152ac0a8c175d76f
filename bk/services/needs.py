"""What every service operation needs from a snapshot: the exports it cannot do without (a missing one raises
MissingDataError naming it) and the ones it can do without (a missing one degrades, with a note saying what
is not shown). Tests check that every operation reads no export it does not declare here, fails with
MissingDataError exactly when a required one is missing, and succeeds without any optional one."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from bk.errors import MissingDataError
from bk.ingest.schema import KINDS

STAGE_KINDS = ("stage_g00", "stage_g02", "stage_i01", "stage_f01", "stage_p01")


@dataclass(frozen=True)
class Needs:
    """``required``: every one must be present; ``any_of``: at least one of each group; ``when``: present
    trigger kind -> what it then requires too (a kind, or a tuple: one of those); ``optional``: kind -> what
    cannot be shown without it."""

    what: str
    required: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    when: Mapping[str, tuple[str | tuple[str, ...], ...]] = field(default_factory=dict)
    optional: Mapping[str, str] = field(default_factory=dict)

    def missing(self, present: Collection[str]) -> list[str]:
        """Required kinds (or 'a or b' groups) absent from ``present``, in declaration order."""
        out = [k for k in self.required if k not in present]
        out += [" or ".join(group) for group in self.any_of if not any(k in present for k in group)]
        for trigger, needed in self.when.items():
            if trigger not in present:
                continue
            for k in needed:
                group = (k,) if isinstance(k, str) else k
                if not any(g in present for g in group) and " or ".join(group) not in out:
                    out.append(" or ".join(group))
        return out

    @property
    def kinds(self) -> set[str]:
        """Every kind the operation may read."""
        conditional = {g for needed in self.when.values() for k in needed for g in ((k,) if isinstance(k, str) else k)}
        return {*self.required, *(k for g in self.any_of for k in g), *self.when, *self.optional} | conditional


_SO_STAGES = {"stage_p01": "rolls packed for an order (P01) are not counted",
              "stage_f01": "finished goods (F01) are not netted", "stage_i01": "I01 rolls are not netted",
              "stage_g02": "greige at the dyer (G02) is not netted", "stage_g00": "greige at the mill (G00) is not netted",
              "knit_orders": "open knit-order balances are not netted",
              "styles": "no greige style is found for an order, so G00 and knit orders cannot serve it",
              "finished_styles": "yds/lb falls back to the median when a style has no F01/I01 rolls"}

NEEDS: dict[str, Needs] = {
    "yarn.plan": Needs(
        "the yarn plan", required=("yarn_inventory", "knit_orders", "bom"), any_of=(("expected_yarn", "yarn_po"),),
        optional={"expected_yarn": "receipts come from open yarn POs (YarnPO) by requested date",
                  "yarn_po": "receipts come from the Expected Yarn Report alone",
                  "style_rates": "knit orders without a knitting rate are scheduled at once (all demand this week)",
                  "suppliers": "lead times and minimum order quantities are unknown",
                  "yarn_demand_by_style_ko": "eFab's current BOM percentages are not used: the BOM file (which "
                                             "lags) splits every knit order",
                  "yarn_demand_by_style": "styles without a BOM line get no split from eFab's per-style report",
                  "yarn_master": "yarns missing from the inventory are not looked up in the yarn master",
                  "machines": "the observed knitting pace of a KO without history uses its style's work centre or "
                              "the mill's",
                  "greige_styles": "the observed knitting pace of a KO without history uses its machine's work "
                                   "centre or the mill's"}),
    "yarn.reconcile": Needs(
        "the reconciliation with eFab's reports",
        when={"yarn_demand_by_style_ko": ("yarn_inventory", "knit_orders", "bom"),
              "yarn_demand": (("expected_yarn", "yarn_po"),)},
        optional={"yarn_demand": "eFab's per-yarn receipts are not compared",
                  "yarn_demand_by_style_ko": "eFab's per-knit-order demand is not compared",
                  "style_rates": "knit orders without a rate are scheduled at once"}),
    "inventory.analyze": Needs(
        "the inventory analyzer", required=("yarn_inventory",),
        optional={"bom": "no demand from knit orders: cover, ABC by usage and reorder points are unknown",
                  "knit_orders": "no demand from knit orders: cover, ABC by usage and reorder points are unknown",
                  "expected_yarn": "open PO receipts are not shown", "suppliers": "lead times are unknown",
                  "yarn_po": "supplier lead times are not estimated from PO history",
                  "yarn_master": "blend and type roll-ups are not shown"}),
    "pipeline.wip": Needs(
        "the fabric pipeline", any_of=(STAGE_KINDS,),
        optional={**{k: f"the {k[-3:].upper()} stage is not shown" for k in STAGE_KINDS},
                  "bom": "the value of aged greige is unknown", "yarn_inventory": "the value of aged greige is unknown"}),
    "pipeline.netting": Needs("sales-order netting", required=("sales_orders",), optional=_SO_STAGES),
    "capacity.plan": Needs(
        "capacity planning", required=("knit_orders", "machines"),
        optional={"greige_styles": "no work centre for unassigned knit orders, so no machine is suggested",
                  "style_rates": "every knit order is planned on one default rate (544 lbs/day), with a warning",
                  "calendar": "the mill closes on the default US holidays and BK_MILL_CLOSED only"}),
    "forecast.all": Needs("the sales forecast", required=("sales_activity",)),
    "forecast.safety_stock": Needs(
        "the forecast safety stock", required=("sales_activity", "bom"),
        optional={"styles": "sales styles cannot be traced to their greige style",
                  "finished_styles": "yds per lb falls back to the rolls or the median",
                  "greige_styles": "greige styles are matched by name only",
                  "stage_f01": "yds per lb falls back to the fabric list or the median",
                  "stage_i01": "yds per lb falls back to the fabric list or the median",
                  "suppliers": "lead times are the default", "yarn_po": "lead times are not estimated from PO history",
                  "yarn_inventory": "lead times are the default"}),
}
# the report sections of `python -m bk report` and the `yarn-demand` command
NEEDS["inventory.report"] = NEEDS["inventory.analyze"]
NEEDS["pipeline.report"] = NEEDS["pipeline.netting"]
NEEDS["capacity.report"] = NEEDS["capacity.plan"]
NEEDS["forecast.report"] = NEEDS["forecast.levels"] = NEEDS["forecast.all"]


def _title(kind: str) -> str:
    if " or " in kind:
        return " or ".join(_title(k) for k in kind.split(" or "))
    return f"{KINDS[kind].title} ({kind})"


def require(operation: str, present: Collection[str]) -> None:
    """Raise MissingDataError naming every required export of ``operation`` that ``present`` lacks."""
    needs = NEEDS[operation]
    missing = needs.missing(present)
    if missing:
        raise MissingDataError(f"{needs.what} needs the {', '.join(_title(k) for k in missing)} export"
                               f"{'s' if len(missing) > 1 else ''}; upload {'them' if len(missing) > 1 else 'it'} "
                               "on the Data page")


def notes(operation: str, present: Collection[str]) -> list[str]:
    """One line per optional export of ``operation`` absent from ``present``: what is not shown without it."""
    needs = NEEDS[operation]
    return [f"no {KINDS[k].title} ({k}): {why}" for k, why in needs.optional.items() if k not in present and why]
