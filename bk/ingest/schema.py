"""Every export kind the mill produces: its header aliases, the snake_case columns we emit, and their types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal[
    "text",  # free text, stripped, HTML removed
    "category",  # repeated text (names, codes), stored as category
    "code",  # identifiers kept as text exactly (roll numbers keep leading zeros)
    "style",  # a style name: stripped; inner spaces kept (lookup helpers try both)
    "number",  # 1,231.2 / $4.07 / ($2,183.40) / blank -> float (blank -> 0 where `blank_zero`)
    "int",  # yarn ids, machine ids: 041 / 124.0 -> integer
    "date",  # 8/28/2025, 01-02-25, ISO timestamps; 'Never' -> NaT
    "html_flag",  # the sales order 'On Hold' <div> toggle -> bool
]


@dataclass(frozen=True)
class Column:
    """One output column: its name, the export headers it comes from, and how its cells are cleaned."""

    name: str
    headers: tuple[str, ...]
    type: ColumnType
    required: bool = True
    blank_zero: bool = False  # the ERP prints 0 as a blank in these columns


@dataclass(frozen=True)
class Kind:
    """One export kind. ``pattern_columns`` map header regexes (e.g. date-named weeks) to column names."""

    name: str
    title: str
    columns: tuple[Column, ...]
    fmt: Literal["table", "json"] = "table"
    master: bool = False
    pattern_columns: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def required_headers(self) -> list[tuple[str, ...]]:
        return [c.headers for c in self.columns if c.required]


def C(name: str, *headers: str, t: ColumnType = "text", req: bool = True, zero: bool = False) -> Column:
    return Column(name, headers, t, req, zero)


def norm_header(header: object) -> str:
    """The form in which headers are compared: lower case, no BOM, underscores and runs of spaces as one."""
    text = "" if header is None else str(header)
    text = text.replace("\ufeff", "").replace("_", " ").strip().lower()
    return re.sub(r"\s+", " ", text)


N = "number"
# eFab's two demand-by-style reports share everything but the KO column
_STYLE = C("style", "Style", t="style")
_DEMAND_BY_STYLE = (
    C("yarn_id", "Yarn", t="int"),
    C("percentage", "Percentage", t=N),
    C("this_week_lbs", "This Week", t=N, zero=True),
    C("later_lbs", "Later", t=N, zero=True),
    C("total_lbs", "Total", t=N, zero=True),
)
_WEEK_BUCKETS = ((r"^week \d{1,2}$", "week_bucket"),)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind(
            "yarn_inventory",
            "Yarn inventory",
            (
                C("yarn_id", "Desc#", t="int"),
                C("qs_customer", "QS Cust", t="category", req=False),
                C("supplier", "Supplier", t="category"),
                C("description", "Description", t="text"),
                C("color", "Color", t="category", req=False),
                C("beginning_balance_lbs", "Beginning Balance", t=N, zero=True),
                C("received_lbs", "Received", t=N, zero=True, req=False),
                C("consumed_lbs", "Consumed", t=N, zero=True),
                C("adjustments_lbs", "Adjustments", t=N, zero=True, req=False),
                C("theoretical_balance_lbs", "Theoretical Balance", t=N, zero=True),
                C("misc", "Misc", t="category", req=False),
                C("on_order_lbs", "On Order", t=N, zero=True),
                C("allocated_lbs", "Allocated", t=N, zero=True),
                C("planning_balance_lbs", "Planning Balance", t=N, zero=True),
                C("reconcile_date", "Reconcile Date", t="date", req=False),
                C("cost_per_lb", "Cost/Pound", t=N),
                C("total_cost_usd", "Total Cost", t=N, req=False),
            ),
        ),
        Kind(
            "bom",
            "Bill of materials",
            (
                C("style", "Style#", "Style #", t="style"),
                C("yarn_id", "Desc#", t="int"),
                C("bom_fraction", "BOM_Percentage", t=N),
                C("unit", "unit", t="category", req=False),
            ),
            master=True,
        ),
        Kind(
            "knit_orders",
            "Knit orders",
            (
                C("style", "Style #", "Style#", t="style"),
                C("knit_order", "Order #", t="code"),
                C("start_date", "Start Date", t="date", req=False),  # absent: knitting starts at the as-of date
                C("quoted_date", "Quoted Date", t="date", req=False),
                C("qty_ordered_lbs", "Qty Ordered (lbs)", t=N, zero=True),
                C("g00_lbs", "G00 (lbs)", t=N, zero=True),
                C("shipped_lbs", "Shipped (lbs)", t=N, zero=True),
                C("balance_lbs", "Balance (lbs)", t=N, zero=True),
                C("seconds_lbs", "Seconds (lbs)", t=N, zero=True, req=False),
                C("bki_numbers", "BKI #s", t="text", req=False),
                C("machine", "Machine", t="int", req=False),
                C("po_number", "PO#", "PO #", t="code", req=False),
                C("modified_date", "Modified", t="date", req=False),
            ),
        ),
        Kind(
            "sales_orders",
            "Sales orders",
            (
                C("status", "Status", t="category"),
                C("sales_order", "SO #", t="code"),
                C("csr", "CSR", t="category", req=False),
                C("unit_price_usd", "Unit Price", t=N, req=False),
                C("quoted_date", "Quoted Date", t="date", req=False),
                C("sales_style", "cFVersion", t="style"),
                C("finished_style", "fBase", t="style"),
                C("on_hold", "On Hold", t="html_flag", req=False),
                C("uom", "UOM", t="category"),
                C("ordered_qty", "Ordered", t=N, zero=True),
                C("shipped_qty", "Picked/Shipped", t=N, zero=True),
                C("balance_qty", "Balance", t=N, zero=True),
                C("available_qty", "Available", t=N, zero=True, req=False),
                C("sop", "SOP", t="code", req=False),
                C("customer_po", "PO #", t="code", req=False),
                C("sold_to", "Sold To", t="category", req=False),
                C("ship_to", "Ship To", t="category", req=False),
                C("ship_date", "Ship Date", t="date", req=False),
            ),
        ),
        Kind(
            "stage_g00",
            "G00 greige at the mill",
            (
                C("style", "Style #", t="style"),
                C("knit_order", "KO #", t="code"),
                C("customer", "Customer", t="category", req=False),
                C("roll", "Roll #", t="code"),
                C("qty_lbs", "Qty (lbs)", t=N, zero=True),
                C("knit_date", "Knit Date", t="date"),
                C("machine", "Machine", t="int", req=False),
            ),
        ),
        Kind(
            "stage_g02",
            "G02 greige at the dyer",
            (
                C("finished_style", "fStyle", t="style"),
                C("dye_order", "DO", t="code"),
                C("processor", "Processor", t="category"),
                C("customer", "Customer", t="category", req=False),
                C("roll", "Roll #", t="code"),
                C("qty_lbs", "Qty (lbs)", t=N, zero=True),
                C("style", "gStyle", t="style"),
                C("ship_date", "Ship Date", t="date", req=False),
            ),
        ),
        Kind(
            "stage_i01",
            "I01 finished, awaiting inspection",
            (
                C("finished_style", "Style #", t="style"),
                C("customer", "Customer", t="category", req=False),
                C("dye_order", "Order #", t="code"),
                C("roll", "Roll #", t="code"),
                C("vendor_roll", "Vendor Roll #", t="code", req=False),
                C("qty_yds", "Qty (yds)", t=N, zero=True),
                C("qty_lbs", "Qty (lbs)", t=N, zero=True),
                C("good_each", "Good Ea.", t=N, zero=True, req=False),
                C("bad_each", "Bad Ea.", t=N, zero=True, req=False),
                C("processor", "Processor", t="category"),
                C("received_date", "Received", t="date"),
            ),
        ),
        Kind(
            "stage_f01",
            "F01 finished goods",
            (
                C("finished_style", "Style #", t="style"),
                C("dye_order", "Order #", t="code"),
                C("customer", "Customer", t="category", req=False),
                C("roll", "Roll #", t="code"),
                C("vendor_roll", "Vendor Roll #", t="code", req=False),
                C("rack", "Rack", t="category"),
                C("qty_yds", "Qty (yds)", t=N, zero=True),
                C("qty_lbs", "Qty (lbs)", t=N, zero=True),
                C("good_each", "Good Ea.", t=N, zero=True, req=False),
                C("bad_each", "Bad Ea.", t=N, zero=True, req=False),
                C("received_date", "Received", t="date"),
            ),
        ),
        # P01 is a grouped report: the header has no style or order columns; group rows above each block of
        # roll rows ('Style #: X (n rolls, …)', 'SO #: …', 'Order #: …') carry them. The reader turns the group
        # rows into the three GROUP_HEADERS columns below (carried down onto each roll row) before cleaning.
        Kind(
            "stage_p01",
            "P01 allocated / packed",
            (
                C("finished_style", "Style # (group)", t="style", req=False),
                C("sales_order", "SO # (group)", t="code", req=False),
                C("dye_order", "Order # (group)", t="code", req=False),
                C("customer", "Customer", t="category", req=False),
                C("roll", "Roll #", t="code"),
                C("vendor_roll", "Vendor Roll #", t="code", req=False),
                C("rack", "Rack", t="category"),
                C("qty_yds", "Qty (yds)", t=N, zero=True),
                C("qty_lbs", "Qty (lbs)", t=N, zero=True),
                C("good_each", "Good Ea.", t=N, zero=True, req=False),
                C("bad_each", "Bad Ea.", t=N, zero=True, req=False),
                C("received_date", "Received", t="date"),
            ),
        ),
        Kind(
            "expected_yarn",
            "Expected yarn (open POs, time-phased)",
            (
                C("po_date", "PO Date", t="date"),
                C("po_number", "PO #", t="code"),
                C("supplier", "Purchased From", t="category"),
                C("yarn_id", "Desc", t="int"),
                C("price_per_lb", "Price", t=N, req=False),
                C("inventory_lbs", "INVEN", t=N, zero=True, req=False),
                C("po_order_lbs", "PO Order Amt", t=N, zero=True),
                C("received_lbs", "Rec'd", t=N, zero=True),
                C("po_balance_lbs", "PO Bal", t=N, zero=True),
                C("past_due_lbs", "Unscheduled or Past Due", t=N, zero=True),
                C("this_week_lbs", "This Week", t=N, zero=True),
                C("later_lbs", "Later", t=N, zero=True),
                C("yarn_type", "Type", t="category", req=False),
                C("ply", "Ply", t="category", req=False),
                C("size", "Size", t="category", req=False),
                C("filament", "Filament", t="category", req=False),
                C("color", "Color", t="category", req=False),
                C("blend", "Blend", t="category", req=False),
            ),
            # date-named weekly columns (Fridays) -> week_YYYY_WW_lbs by their ISO week; see iso_week_column
            pattern_columns=((r"^\d{1,4}[/-]\d{1,2}[/-]\d{2,4}( 00:00:00)?$", "iso_week"),),
        ),
        Kind(
            "yarn_po",
            "Yarn purchase orders",
            (
                C("po_number", "PO#", "PO #", t="code"),
                C("status", "Status", t="category"),
                C("yarn_id", "Desc#", t="int"),
                C("ordered_at", "Ordered", t="date", req=False),
                C("requested_date", "Requested", t="date"),
                C("quoted_date", "Quoted", t="date", req=False),
                C("qty_lbs", "Qty", t=N, zero=True),
                C("balance_lbs", "Balance", t=N, zero=True),
                C("supplier", "Supplier", t="category"),
                C("size", "Size", t="category", req=False),
                C("yarn_type", "Type", t="category", req=False),
                C("color", "Color", t="category", req=False),
                C("description", "Description", t="text", req=False),
                C("cost_per_lb", "$/lb", t=N, req=False),
                C("total_usd", "Total $", t=N, req=False),
            ),
        ),
        Kind(
            "yarn_demand",
            "eFab yarn demand (per yarn)",
            (
                C("yarn_id", "Yarn", t="int"),
                C("supplier", "Supplier", t="category", req=False),
                C("description", "Description", t="text", req=False),
                C("color", "Color", t="category", req=False),
                # the older layout says 'Inventory' (title row above, the rest alike)
                C("monday_inventory_lbs", "Monday Inventory", "Inventory", t=N, zero=True),
                C("total_demand_lbs", "Total Demand", t=N, zero=True),
                C("total_receipt_lbs", "Total Receipt", t=N, zero=True),
                C("balance_lbs", "Balance", t=N, zero=True),
                C("past_due_receipts_lbs", "Past Due Receipts", t=N, zero=True),
            ),
            pattern_columns=((r"^(demand|receipts|balance) (this week|week \d{1,2}|later)$", "demand_bucket"),),
        ),
        Kind("yarn_demand_by_style", "eFab yarn demand by style", (_STYLE, *_DEMAND_BY_STYLE),
             pattern_columns=_WEEK_BUCKETS),
        Kind("yarn_demand_by_style_ko", "eFab yarn demand by style and knit order",
             (_STYLE, C("knit_order", "KO", t="code"), *_DEMAND_BY_STYLE), pattern_columns=_WEEK_BUCKETS),
        Kind(
            "sales_activity",
            "Sales activity (invoice lines)",
            (
                C("sales_order", "Document", t="code"),
                C("invoice_date", "Invoice Date", t="date"),
                C("customer", "Customer", t="category"),
                C("sales_style", "fStyle#", t="style"),
                C("qty", "Yds_ordered", t=N, zero=True),
                C("uom", "UOM", t="category"),
                C("unit_price_usd", "Unit Price", t=N, req=False),
                C("line_price_usd", "Line Price", t=N, req=False),
                C("invoice", "1st Invoice", t="code", req=False),
                C("sales_rep", "Sales Rep", t="category", req=False),
                C("commission", "Commission", t=N, req=False),
                C("selling_company", "Selling Co", t="category", req=False),
                C("customer_po", "PO#", t="code", req=False),
            ),
        ),
        Kind(
            "suppliers",
            "Suppliers",
            (
                C("supplier_id", "Supplier_ID", t="int"),
                C("supplier", "Supplier", t="text"),
                C("lead_time_days", "Lead_time", t=N),
                C("moq_lbs", "MOQ", t=N),
                C("supplier_type", "Type", t="category"),
            ),
            master=True,
        ),
        Kind(
            "yarn_master",
            "Yarn master",
            (
                C("yarn_id", "Desc#", t="int"),
                C("supplier", "Supplier", t="category"),
                C("description", "Description", t="text", req=False),
                C("blend", "Blend", t="category", req=False),
                C("yarn_type", "Type", t="category", req=False),
                C("color", "Color", t="category", req=False),
                C("desc_1", "Desc_1", t="category", req=False),
                C("desc_2", "Desc_2", t="category", req=False),
                C("desc_3", "Desc_3", t="category", req=False),
                C("on_order_lbs", "On_Order", t=N, zero=True, req=False),
                C("allocated_lbs", "Allocated", t=N, zero=True, req=False),
                C("planning_balance_lbs", "Planning_Ballance", "Planning_Balance", t=N, zero=True),
                C("cost_per_lb", "Cost_Pound", t=N),
                C("total_cost_usd", "Total_Cast", "Total_Cost", t=N, req=False),
            ),
            master=True,
        ),
        Kind(
            "machines",
            "Machines",
            (C("work_center", "WC", t="category"), C("machine", "MACH", t="int")),
            master=True,
        ),
        Kind(
            "style_rates",
            "Knitting rates (Production Lbs)",
            (C("style", "Style", t="style"), C("lbs_per_day", "Average of lbs/day", t=N)),
            master=True,
        ),
        Kind(
            "calendar",
            "Mill calendar (holidays, shutdowns)",
            (C("date", "Date", t="date"), C("reason", "Reason"), C("until", "Until", t="date", req=False),
             C("machine_days", "Machine Days", t=N, req=False)),
            master=True,
        ),
        Kind(
            "styles",
            "Style cross-reference (eFab_Styles)",
            (
                C("fstyle", "fStyle", t="style"),
                C("cf_base", "cFBase", t="style"),
                C("style", "style", t="style"),
                C("f_version", "fVersion", t="category"),
                C("g_base", "gBase", t="style", req=False),
                C("created_date", "gVer Created", t="date", req=False),
            ),
            master=True,
        ),
        Kind(
            "greige_styles",
            "Greige fabric list (QuadS)",
            (
                C("ref_style", "ref_style", t="style", req=False),
                C("base", "base", t="style"),
                C("version", "version", t="style"),
                C("work_center", "work_center", t="category"),
                C("construction", "construction", t="category", req=False),
                C("stage", "stage", t="category", req=False),
                C("active", "active", t="int", req=False),
                C("customer", "customer", t="category", req=False),
                C("price_usd", "price", t=N, req=False),
                C("greige_style_id", "style_id", t="int", req=False),
            ),
            fmt="json",
            master=True,
        ),
        Kind(
            "finished_styles",
            "Finished fabric list (QuadS)",
            (
                C("finished_style_name", "finished_style_name", t="style"),
                C("base", "base", t="style", req=False),
                C("oz_per_linyd", "oz_per_linyd", t=N),
                C("oz_per_sqyd", "oz_per_sqyd", t=N, req=False),
                C("gsm", "gsm", t=N, req=False),
                C("overall_width_in", "overall_width", t=N, req=False),
                C("cuttable_width_in", "cuttable_width", t=N, req=False),
                C("roll_length_yds", "roll_length", t=N, req=False),
                C("roll_weight_lbs", "roll_wt", t=N, req=False),
                C("fabric_type", "fabric_type", t="category", req=False),
                C("composition", "composition", t="category", req=False),
                C("stage", "finished_style_stage", t="category", req=False),
                C("active", "active", t="int", req=False),
            ),
            fmt="json",
            master=True,
        ),
    ]
}

KIND_NAMES: tuple[str, ...] = tuple(KINDS)
# kinds a complete snapshot may lack: P01 exists on some days only; the mill calendar is kept by hand, if at all
OPTIONAL_KINDS: tuple[str, ...] = ("stage_p01", "calendar")
MASTER_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.master)
# history that does not change from day to day either: carried over from an earlier snapshot like master data
HISTORY_KINDS: tuple[str, ...] = ("sales_activity",)
CARRIED_KINDS: tuple[str, ...] = MASTER_KINDS + HISTORY_KINDS

# Columns added by the reader (derived, not read) so that services can rely on them.
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "knit_orders": ("has_warning",),  # the Order # cell carried an eFab warning icon
    "suppliers": ("retired",),  # Lead_time/MOQ/Type say 'Remove'
    "greige_styles": ("style",),  # base/version: the greige style key used by BOM and KOs
    "finished_styles": ("finished_style", "lbs_per_yd"),  # 'CF2007 / 0' -> 'CF2007/0'; oz_per_linyd / 16
    "sales_orders": ("price_uom",),  # '$7.35 (yds)' -> 'yds'
}


# P01's group rows: the label in the group row's first cell -> the header of the column the reader adds for it
P01_GROUP_HEADERS: dict[str, str] = {"style": "Style # (group)", "so": "SO # (group)", "order": "Order # (group)"}


def iso_week_column(iso_year: int, iso_week: int) -> str:
    """The column a date-named weekly receipts column of expected_yarn becomes: ``week_2025_36_lbs``."""
    return f"week_{iso_year}_{iso_week:02d}_lbs"


ISO_WEEK_COLUMN = re.compile(r"^week_(\d{4})_(\d{2})_lbs$")


def demand_bucket_column(measure: str, bucket: str) -> str:
    """Yarn_Demand's 'Demand Week 36' -> ``demand_week_36_lbs``; 'Balance This Week' -> ``balance_this_week_lbs``."""
    return f"{measure.lower()}_{bucket.lower().replace(' ', '_')}_lbs"


def week_bucket_column(bucket: str) -> str:
    """The KO / style demand reports' 'Week 36' -> ``week_36_lbs``."""
    return f"{bucket.lower().replace(' ', '_')}_lbs"
