"""The demo mill's first day: master data, knit orders, stock and POs, rolls and sales, in eFab's export formats.

The day's state (knit orders, open POs, yarn stock) is kept as records so that ``bk.demo.history`` can move it
on day by day; the files that state becomes are written by the ``*_file`` methods, the same for every day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from bk.demo.formats import csv_bytes, mdy, mdy2, money, num, xlsx_bytes

SUPPLIERS = [
    ("ALDER SPINNING CO", 14, 2500, "Import"), ("BRAMBLE YARNS INC", 8, 1000, "Domestic"),
    ("CEDAR FIBRE LTD", 14, 5000, "Import"), ("Dunmore Textiles", 10, 1500, "Domestic"),
    ("ELMWOOD FILAMENT", 8, 2500, "Domestic"), ("FERNHILL POLY", 12, 1000, "Domestic"),
    ("GARNET SYNTHETICS", 14, 10000, "Import"), ("HOLLOW CREEK MILLS", 6, 1000, "Domestic"),
    ("IVY LANE YARN GROUP", 4, 1000, "Domestic"), ("JUNIPER EXTRUSION", 8, 2000, "Domestic"),
    ("KESTREL TEXTIL S.A.", 14, 5000, "Import"), ("LARCH THREADS", 8, 1500, "Domestic"),
    ("MAPLE RIDGE FIBERS", 10, 10000, "Import"), ("NORTHWIND NYLON", 8, 2500, "Import"),
    ("OAKMOOR COTTON", 6, 1000, "Domestic"), ("PINECREST POLYESTER", 14, 5000, "Import"),
]
RETIRED = ["QUARRY YARNS (Do not Use)", "ROWAN DYED FIBER", "SPRUCE MILLS"]
COLORS = ["Natural", "Semi Dull", "Black", "Bright", "China Grey", "Navy", "White", "Heather", "Silver", "Tan"]
YARN_TYPES = [("Polyester", "100%"), ("Nylon", "100%"), ("Lycra", "100%"), ("Polyester/Cotton", "60/40"),
              ("Modacrylic/Rayon", "55/45"), ("Combed Cotton", "100%")]
PROCESSORS = ["Riverbend Dyeing & Finishing", "Altamont - Plant 2", "Summit Finishers"]
CUSTOMERS = ["NORTHSTAR BEDDING", "CFAB - CREATIVE FABRIC SERVICE, LLC", "Blue Harbor Apparel",
             "Crestline Mattress Co", "Meadow Sleep Products", "Granite Industrial", "Willow Home Textiles",
             "Sunrise Medical Supply"]
REPS = ["Dana Whitfield", "Marco Ruiz", "Priya Nair"]
CSRS = ["Alex Moore", "Jordan Lee", "Sam Patel"]
CONSTRUCTIONS = ["JERSEY", "RIB 1X1", "INTERLOCK", "PIQUE", "TICKING 4 SYSTEM", "SPACER"]
FABRIC_TYPES = ["APPAREL", "BEDDING", "INDUSTRIAL", "MEDICAL", "TICKING"]


# -------------------------------------------------------------------------------------------- generator


@dataclass
class KnitOrder:
    """One line of the knit-order export; the balance follows from the quantities as in eFab."""

    ko: str
    style: str
    ordered: float
    g00: float
    shipped: float
    seconds: float
    start: date | None
    quoted: date | None
    machine_text: str
    warning: bool
    modified: date
    stalled: bool = False  # set by the history: a KO that does not knit (no yarn, no machine, on hold)

    @property
    def balance(self) -> float:
        return round(max(0.0, self.ordered - self.g00 - self.shipped + self.seconds), 1)


@dataclass
class PurchaseOrder:
    """One open yarn PO line: its deliveries are [date, lbs] pairs (date None: unscheduled or past due)."""

    number: str
    yarn: int  # index into the yarn arrays
    amount: float
    received: float
    po_date: date
    ordered_at: str
    requested: date
    deliveries: list[list] = field(default_factory=list)

    @property
    def balance(self) -> float:
        return self.amount - self.received


@dataclass
class Stock:
    """The yarn inventory's movement columns per yarn (index as in the yarn arrays); theoretical = the sum."""

    beginning: np.ndarray
    received: np.ndarray
    consumed: np.ndarray
    adjustments: np.ndarray
    theoretical: np.ndarray


class FirstDay:
    """The demo mill on its first day; ``files`` holds the exports once every step has run (``demo_files``)."""

    def __init__(self, scale: float, seed: int, as_of: date):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.scale = scale
        self.as_of = as_of
        self.reconciled = as_of  # the stock was counted 62 days before the first day
        self.week_start = as_of - timedelta(days=as_of.weekday())
        self.files: dict[str, bytes] = {}

    def n(self, base: int) -> int:
        return max(1, int(round(base * self.scale)))

    def pick(self, seq, size=None):
        idx = self.rng.integers(0, len(seq), size=size)
        return seq[idx] if size is None else [seq[i] for i in idx]

    # -- master data --------------------------------------------------------------------------------

    def suppliers(self) -> None:
        rows = []
        names = [s[0] for s in SUPPLIERS] + RETIRED
        order = sorted(names, key=str.lower)
        for i, name in enumerate(order, start=1):
            spec = next((s for s in SUPPLIERS if s[0] == name), None)
            rows.append([i, name, *(spec[1:] if spec else ("Remove", "Remove", "Remove"))])
        self.files["Supplier_ID.csv"] = csv_bytes(["Supplier_ID", "Supplier", "Lead_time", "MOQ", "Type"], rows)

    def yarns(self) -> None:
        n = self.n(1200)
        self.first_yarn = 10001
        self.yarn_ids = np.arange(self.first_yarn, self.first_yarn + n)
        self.yarn_supplier = [self.pick([s[0] for s in SUPPLIERS]) for _ in range(n)]
        # some yarns keep a retired supplier: the purchase suggestion must say it has no MOQ
        for i in range(0, n, 97):
            self.yarn_supplier[i] = RETIRED[i % len(RETIRED)]
        self.yarn_color = self.pick(COLORS, n)
        self.yarn_type = [YARN_TYPES[i] for i in self.rng.integers(0, len(YARN_TYPES), n)]
        self.yarn_cost = np.round(self.rng.uniform(1.0, 6.5, n), 2)
        denier = self.pick([70, 100, 150, 300], n)
        self.yarn_desc = [f"1/{d}/{self.pick([34, 48, 68, 96])} {t[1]} {t[0]} {c}"
                          for d, t, c in zip(denier, self.yarn_type, self.yarn_color, strict=True)]

    def styles(self) -> None:
        n = self.n(6000)
        bases = [f"DM{4000 + i}" for i in range(n)]
        versions = self.pick(["0", "1", "2", "1A"], n)
        self.greige = [f"{b}/{v}" for b, v in zip(bases, versions, strict=True)]
        self.rate = np.round(self.rng.uniform(150, 900, n), 4)
        n_wc = max(4, self.n(40))
        self.work_centers = [f"{self.rng.integers(1, 10)}.{self.rng.integers(17, 40)}.{self.rng.integers(14, 29)}."
                             f"{self.pick(['F', 'V', 'R'])}" + (".J" if i % 9 == 0 else "") for i in range(n_wc)]
        self.work_centers = sorted(set(self.work_centers))
        self.style_wc = self.pick(self.work_centers, n)
        # BOM: 1-3 yarns per style, fractions truncated to 2 decimals like eFab's export
        bom_rows: list[list[object]] = []
        self.bom: dict[str, list[tuple[int, float]]] = {}
        for s in self.greige:
            k = int(self.rng.integers(1, 4))
            yarns = self.rng.choice(self.yarn_ids, size=k, replace=False)
            weights = self.rng.dirichlet(np.ones(k) * 2)
            fractions = np.floor(weights * 100) / 100
            fractions[fractions == 0] = 0.01
            self.bom[s] = [(int(y), float(f)) for y, f in zip(yarns, fractions, strict=True)]
            for y, f in self.bom[s]:
                shown = (" " if self.rng.random() < 0.05 else "") + s
                if f >= 0.2 and self.rng.random() < 0.03:  # a real repeated line: the two halves must be summed
                    half = np.floor(f * 50) / 100
                    bom_rows += [[shown, y, f"{half:g}", "lbs"], [shown, y, f"{round(f - half, 2):g}", "lbs"]]
                else:
                    bom_rows.append([shown, y, f"{f:g}", "lbs"])
        bom_rows.insert(len(bom_rows) // 2, ["INCORRECT SPEC - SEE CMR3", "", "", ""])
        bom_rows += [["", "", "", ""]] * (len(bom_rows) // 4)
        self.files["BOM_updated.csv"] = csv_bytes(["Style#", "Desc#", "BOM_Percentage", "unit"], bom_rows,
                                                  bom=False)
        rate_rows: list[list[object]] = []
        for i, s in enumerate(self.greige):
            r = float(self.rate[i])
            if i % 1200 == 7:
                r = -abs(r) / 10  # eFab's pivot carries a few negative averages
            rate_rows.append([(" " if i % 50 == 0 else "") + s, r])
        rate_rows += [["(blank)", None], ["Grand Total", float(np.round(self.rate.mean(), 4))]]
        self.files["Production Lbs.xlsx"] = xlsx_bytes(["Style", "Average of lbs/day"], rate_rows)
        greige_records = []
        for i, s in enumerate(self.greige):
            base, version = s.split("/")
            greige_records.append({
                "ref_style": None, "base": base, "price": f"{self.rng.uniform(0.5, 3):.2f}",
                "construction": self.pick(CONSTRUCTIONS), "active": 1, "style_id": 7000 + i,
                "actions": f"<a href=\"/knit-style/view/greige/{7000 + i}\"><button>View</button></a>",
                "customer": self.pick(CUSTOMERS), "stage": "Final", "version": version,
                "work_center": self.style_wc[i], "construction_id": int(self.rng.integers(1, 6000)),
            })
        self.files["QuadS_greigeFabricList.csv"] = json.dumps(greige_records, separators=(",", ":")).encode()

    def machines(self) -> None:
        n = self.n(290)
        ids = self.rng.choice(np.arange(1, 10 * n), size=n, replace=False)
        self.machine_wc = {int(m): self.work_centers[i % len(self.work_centers)] for i, m in enumerate(sorted(ids))}
        rows = [[wc, m] for m, wc in sorted(self.machine_wc.items(), key=lambda kv: (kv[1], kv[0]))]
        self.files["Machine Report fin1.csv"] = csv_bytes(["WC", "MACH"], rows)

    def finished(self) -> None:
        """Finished styles BASE-VER/FIN for a subset of greige styles; eFab_Styles links them."""
        n = min(len(self.greige), self.n(3500))
        self.finished_of: dict[str, str] = {}
        self.lbs_per_yd: dict[str, float] = {}
        style_rows, fin_records = [], []
        for i, g in enumerate(self.greige[:n]):
            base, ver = g.split("/")
            sales = f"{base}-{ver}"
            fin = f"{sales}/{i % 3}"
            self.finished_of[g] = fin
            self.lbs_per_yd[fin] = round(float(self.rng.uniform(0.3, 0.75)), 4)
            created = self.as_of - timedelta(days=int(self.rng.integers(30, 2000)))
            style_rows.append([sales, sales, g, str(i % 3), base, mdy(created)])
            if i % 4 == 0:  # a second version row: eFab_Styles repeats fStyles
                style_rows.append([sales, sales, g, "CDFMP", base, mdy(created)])
            fin_records.append({
                "composition": "100% Polyester", "oz_per_linyd": round(self.lbs_per_yd[fin] * 16, 2),
                "finished_style_id": 2000 + i, "finished_style_name": fin.replace("/", " / "),
                "finished_style_stage": "Actual", "gsm": round(float(self.rng.uniform(120, 320)), 1),
                "overall_width": 62.0, "cuttable_width": 60.0, "roll_length": 80.0, "roll_wt": 45.0,
                "base": base, "fabric_type": self.pick(FABRIC_TYPES), "active": 1,
                "actions": f"<a href=\"/knit-style/view/finished/{2000 + i}\"><button>View</button></a>",
            })
        self.files["eFab_Styles.csv"] = csv_bytes(["fStyle", "cFBase", "style", "fVersion", "gBase", "gVer Created"],
                                                  style_rows)
        self.files["QuadS_finishedFabricList.csv"] = json.dumps(fin_records, separators=(",", ":")).encode()

    # -- transactions -------------------------------------------------------------------------------

    def knit_orders(self) -> None:
        n = self.n(200)
        with_finished = list(self.finished_of)
        styles = self.pick(with_finished, n)
        machines = sorted(self.machine_wc)
        self.knit = []
        for i, style in enumerate(styles):
            ko = f"K{self.as_of:%y%m}{900 - i:03d}" if i < 100 else f"K{(self.as_of - timedelta(days=40)):%y%m}{i:03d}"
            ordered = float(self.pick([500, 1000, 1200, 2000, 4000, 6000, 16000]))
            progress = self.rng.uniform(0, 1) if i % 3 else 0.0
            g00 = round(ordered * progress * 0.7, 1)
            shipped = round(ordered * progress * 0.3, 1)
            seconds = round(g00 * 0.01, 1) if i % 5 == 0 else 0.0
            start = None if i % 11 == 0 else self.as_of + timedelta(days=int(self.rng.integers(-30, 45)))
            quoted = None if i % 7 == 0 else (start or self.as_of) + timedelta(days=int(self.rng.integers(10, 60)))
            machine = "" if i % 5 == 0 else self.pick(machines)
            machine_text = "" if machine == "" else (f"{machine:03d}" if i % 3 == 0 else
                                                     (f"{machine}.0" if i % 3 == 1 else str(machine)))
            self.knit.append(KnitOrder(ko, style, ordered, g00, shipped, seconds, start, quoted, machine_text,
                                       warning=i % 6 == 0, modified=self.as_of - timedelta(days=int(i % 9))))
        self.kos = [(k.ko, k.style, k.balance, k.machine_text) for k in self.knit]
        self.files["eFab_Knit_Orders.csv"] = self.knit_orders_file()

    def knit_orders_file(self) -> bytes:
        rows = []
        for k in self.knit:
            order_text = k.ko + ("&nbsp;<i class='fa fa-exclamation-triangle' style='color:red;' title='This knit "
                                 "order has a zero or negative knit price!'></i>" if k.warning else "")
            rows.append([k.style, order_text, mdy(k.start), mdy(k.quoted), num(k.ordered),
                         num(k.g00, blank_zero=True), num(k.shipped, blank_zero=True), num(k.balance),
                         num(k.seconds, blank_zero=True), "", k.machine_text, "", mdy(k.modified)])
        return csv_bytes(
            ["Style #", "Order #", "Start Date", "Quoted Date", "Qty Ordered (lbs)", "G00 (lbs)", "Shipped (lbs)",
             "Balance (lbs)", "Seconds (lbs)", "BKI #s", "Machine", "PO#", "Modified"], rows)

    def ko_need(self) -> np.ndarray:
        """Lbs of each yarn (by index) the open knit orders still need (balance x BOM fraction)."""
        need = np.zeros(len(self.yarn_ids))
        for k in self.knit:
            for y, f in self.bom[k.style]:
                need[y - self.first_yarn] += k.balance * f
        return need

    def inventory_and_pos(self) -> None:
        n = len(self.yarn_ids)
        ko_need = self.ko_need()
        # like the real mill: most yarns hold weeks of cover and the open knit orders' needs; a few dozen are
        # tight (tens of shortages, not hundreds), and idle yarns sometimes sit at zero
        consumed = -np.round(self.rng.lognormal(6.0, 1.5, n) * (self.rng.random(n) > 0.3), 2)
        weekly_usage = -consumed / (62 / 7)  # consumed since the reconcile date, 62 days ago
        # about six months of cover: supplier lead times run 30-80 days (the real POs' ordered-to-requested)
        cover_weeks = self.rng.lognormal(np.log(26), 0.45, n)
        stock = weekly_usage * cover_weeks + ko_need * self.rng.uniform(1.1, 1.8, n)
        idle = (weekly_usage == 0) & (ko_need == 0)
        stock = np.where(idle, self.rng.lognormal(6.5, 1.6, n) * (self.rng.random(n) > 0.15), stock)
        active = np.flatnonzero(~idle)
        tight = self.rng.choice(active, size=min(len(active), self.n(60)), replace=False)
        stock[tight] *= self.rng.uniform(0.0, 0.5, len(tight))
        needed = np.flatnonzero(ko_need > 0)  # allocated to knit orders beyond what is on hand: short now
        oversold = self.rng.choice(needed, size=min(len(needed), self.n(45)), replace=False)
        stock[oversold] = ko_need[oversold] * self.rng.uniform(0.0, 0.5, len(oversold))
        theoretical = np.round(stock, 2)
        received = np.round(self.rng.lognormal(6.0, 1.2, n) * (self.rng.random(n) > 0.8), 2)
        adjustments = np.round(self.rng.normal(0, 50, n) * (self.rng.random(n) > 0.97), 2)
        beginning = np.round(theoretical - received - consumed - adjustments, 2)
        self.stock = Stock(beginning, received, consumed, adjustments, theoretical)
        allocated = self.allocated(ko_need)
        # open POs: about 7 % of yarns, short-supplied ones first
        self.pos = []
        # POs for half of the tightest yarns: the other half is what the planners must buy today
        tightest = np.argsort(theoretical + allocated)[: max(2, self.n(160))]
        short = self.rng.choice(tightest, size=max(1, self.n(80)), replace=False)
        for k, i in enumerate(sorted(short)):
            amount = float(self.pick([2500, 3000, 5000, 10000, 20000]))
            rec = float(np.round(amount * self.rng.uniform(0, 0.8) if k % 2 else 0.0, 0))
            bal = amount - rec
            buckets = np.zeros(11)  # past due, this week, 8 weeks, later
            slot = int(self.rng.integers(0, 11))
            # past due: 1 to 18 weeks late (some to chase); ordered 30-79 days before the date asked, as the mill's
            requested = self.as_of + timedelta(days=int(7 * slot - 7) - (k * 13) % 120 * (slot == 0))
            po_date = min(requested - timedelta(days=30 + (k * 17) % 50), self.as_of - timedelta(days=1 + k % 10))
            buckets[slot] = bal
            if k % 5 == 0 and slot < 10:  # split delivery
                buckets[slot] = round(bal / 2)
                buckets[slot + 1] = bal - round(bal / 2)
            # a slot as a date: past due has none; this week and the 8 weeks are their Friday; later the 9th
            deliveries = [[None if s == 0 else self.week_start + timedelta(days=4 + 7 * (s - 1)), float(b)]
                          for s, b in enumerate(buckets) if b]
            self.pos.append(PurchaseOrder(f"Y{(self.as_of - timedelta(days=30 + k)):%y%m}{k:03d}", int(i), amount,
                                          rec, po_date, f"{po_date.isoformat()} 10:{k % 60:02d}:00",
                                          requested, deliveries))
        self.files.update(self.po_files(self.as_of))
        self.files["yarn_inventory.csv"] = self.inventory_file(allocated)
        on_order, planning = self.on_order(), self.planning(allocated)
        master = []
        for i in range(0, n, 5):
            ytype, blend = self.yarn_type[i]
            master.append([int(self.yarn_ids[i]), self.yarn_supplier[i], "1/150/48", blend, ytype,
                           self.yarn_color[i], "Poly", self.yarn_color[i], "", f"{on_order[i]:,.2f}",
                           f"{allocated[i]:,.2f}", f"{planning[i]:,.2f}", money(self.yarn_cost[i]),
                           money(planning[i] * self.yarn_cost[i], parens=True)])
        self.files["Yarn_ID_Master.csv"] = csv_bytes(
            ["Desc#", "Supplier", "Description", "Blend", "Type", "Color", "Desc_1", "Desc_2", "Desc_3", "On_Order",
             "Allocated", "Planning_Ballance", "Cost_Pound", "Total_Cast"], master)

    def allocated(self, ko_need: np.ndarray) -> np.ndarray:
        return -np.round(ko_need * 0.6, 2)

    def on_order(self) -> np.ndarray:
        on_order = np.zeros(len(self.yarn_ids))
        for po in self.pos:
            on_order[po.yarn] += po.balance
        return on_order

    def planning(self, allocated: np.ndarray) -> np.ndarray:
        return np.round(self.stock.theoretical + allocated + self.on_order(), 2)

    def po_files(self, day: date) -> dict[str, bytes]:
        """Expected_Yarn_Report.csv (each PO's deliveries in the day's week buckets) and YarnPO.csv."""
        monday = day - timedelta(days=day.weekday())
        fridays = [monday + timedelta(days=4 + 7 * k) for k in range(1, 9)]
        po_rows, yarnpo_rows = [], []
        for po in self.pos:
            i, yarn = po.yarn, int(self.yarn_ids[po.yarn])
            buckets = np.zeros(11)
            for when, lbs in po.deliveries:
                k = -1 if when is None else (when - monday).days // 7
                buckets[0 if k < 0 else min(k + 1, 10)] += lbs
            sup = self.yarn_supplier[i]
            ytype, blend = self.yarn_type[i]
            po_rows.append([mdy(po.po_date), po.number, sup.title(), yarn, money(self.yarn_cost[i]),
                            num(self.stock.theoretical[i], 2), num(po.amount, 0), num(po.received, 0),
                            num(po.balance, 0)]
                           + [num(b, 0, blank_zero=True) for b in buckets]
                           + [ytype, "1", "150", "48", self.yarn_color[i], blend])
            yarnpo_rows.append([po.number, "Open", yarn, po.ordered_at, po.requested.isoformat(), "",
                                f"{po.amount:g}", f"{po.balance:.1f}", sup, "150/1/48", ytype, self.yarn_color[i],
                                self.yarn_desc[i] + " ", f"{self.yarn_cost[i]:.2f}",
                                f"{po.amount * self.yarn_cost[i]:.1f}"])
        return {"Expected_Yarn_Report.csv": csv_bytes(
            ["PO Date", "PO #", "Purchased From", "Desc", "Price", "INVEN", "PO Order Amt", "Rec'd", "PO Bal",
             "Unscheduled or Past Due", "This Week"] + [mdy(f) for f in fridays]
            + ["Later", "Type", "Ply", "Size", "Filament", "Color", "Blend"], po_rows),
            "YarnPO.csv": csv_bytes(
            ["PO#", "Status", "Desc#", "Ordered", "Requested", "Quoted", "Qty", "Balance", "Supplier", "Size", "Type",
             "Color", "Description", "$/lb", "Total $"], list(reversed(yarnpo_rows)), bom=False)}

    def inventory_file(self, allocated: np.ndarray) -> bytes:
        s = self.stock
        on_order, planning = self.on_order(), self.planning(allocated)
        rows = []
        for i in range(len(self.yarn_ids)):
            reconcile = "Never" if i % 500 == 3 else (self.reconciled - timedelta(days=62)).isoformat()
            total = round(s.theoretical[i] * self.yarn_cost[i], 2)
            rows.append([int(self.yarn_ids[i]), "CFAB", self.yarn_supplier[i], self.yarn_desc[i], self.yarn_color[i],
                         f"{s.beginning[i]:,.2f}", num(s.received[i], 2, blank_zero=True), f"{s.consumed[i]:,.2f}",
                         num(s.adjustments[i], 2, blank_zero=True), f"{s.theoretical[i]:,.2f}",
                         "CT" if i % 5 == 0 else "", f"{on_order[i]:,.2f}", f"{allocated[i]:,.2f}",
                         f"{planning[i]:,.2f}", reconcile, money(self.yarn_cost[i]), money(total)])
        return csv_bytes(
            ["Desc#", "QS Cust", "Supplier", "Description", "Color", "Beginning Balance", "Received", "Consumed",
             "Adjustments", "Theoretical Balance", "Misc", "On Order", "Allocated", "Planning Balance",
             "Reconcile Date", "Cost/Pound", "Total Cost"], rows)

    def stages(self) -> None:
        kos = [k for k in self.kos if k[1] in self.finished_of]
        machines = sorted(self.machine_wc)

        def rolls(n_base: int):
            for i in range(self.n(n_base)):
                ko, style, _, _ = kos[i % len(kos)]
                yield i, ko, style, self.finished_of[style]

        g00 = []
        for i, ko, style, _ in rolls(1700):
            knit = self.as_of - timedelta(days=int(self.rng.gamma(1.5, 40)))
            g00.append([style, ko, self.pick(CUSTOMERS), f"{30000000 + i:09d}", num(self.rng.uniform(35, 60)),
                        mdy(knit), f"{self.pick(machines):03d}"])
        self.files["eFab_Inventory_G00.csv"] = csv_bytes(
            ["Style #", "KO #", "Customer", "Roll #", "Qty (lbs)", "Knit Date", "Machine"], g00)
        g02 = []
        for i, _, style, fin in rolls(2200):
            ship = self.as_of - timedelta(days=int(self.rng.gamma(1.5, 60)))
            g02.append([fin, f"D{60000 + i // 12}", self.pick(PROCESSORS), self.pick(CUSTOMERS),
                        f"{40000000 + i:09d}", num(self.rng.uniform(35, 60)), style, mdy(ship)])
        self.files["eFab_Inventory_G02.csv"] = csv_bytes(
            ["fStyle", "DO", "Processor", "Customer", "Roll #", "Qty (lbs)", "gStyle", "Ship Date"], g02)
        i01 = []
        for i, _, _, fin in rolls(200):
            lbs = self.rng.uniform(35, 60)
            i01.append([fin, self.pick(CUSTOMERS), f"D{70000 + i // 10}", f"{70000000 + i:09d}", f"{7000000 + i}",
                        num(lbs / self.lbs_per_yd[fin]), num(lbs), 0, 0, self.pick(PROCESSORS),
                        mdy(self.as_of - timedelta(days=int(self.rng.integers(0, 20))))])
        self.files["eFab_Inventory_I01.csv"] = csv_bytes(
            ["Style #", "Customer", "Order #", "Roll #", "Vendor Roll #", "Qty (yds)", "Qty (lbs)", "Good Ea.",
             "Bad Ea.", "Processor", "Received"], i01)
        f01 = []
        for i, _, _, fin in rolls(10000):
            lbs = self.rng.uniform(20, 60)
            f01.append([fin, f"D{50000 + i // 15}", self.pick(CUSTOMERS), f"{50000000 + i:09d}", f"{5000000 + i}",
                        str(int(self.rng.integers(100, 400))), num(lbs / self.lbs_per_yd[fin]), num(lbs), 0, 0,
                        mdy(self.as_of - timedelta(days=int(self.rng.gamma(1.2, 150))))])
        self.files["eFab_Inventory_F01.csv"] = csv_bytes(
            ["Style #", "Order #", "Customer", "Roll #", "Vendor Roll #", "Rack", "Qty (yds)", "Qty (lbs)",
             "Good Ea.", "Bad Ea.", "Received"], f01)

    def sales(self) -> None:
        fins = sorted(set(self.finished_of[k[1]] for k in self.kos))
        n_styles = min(len(fins), self.n(110))
        styles = fins[:n_styles]
        weeks = 35
        first = self.week_start - timedelta(weeks=weeks + 9)
        lines = []
        level = self.rng.uniform(200, 3000, n_styles)
        trend = self.rng.normal(0.005, 0.01, n_styles)
        # a few big styles sell every week around a slowly moving level (a model beats last week's figure) and
        # carry most of the volume; the many small ones sell now and then, as in the real mill
        regular = self.rng.random(n_styles) < 0.06
        level = np.where(regular, level * 8, level)
        prob = np.where(regular, 0.95, 0.2)
        noise = np.where(regular, 0.2, 0.35)
        phase = self.rng.uniform(0, 2 * np.pi, n_styles)
        for w in range(weeks):
            for s in range(n_styles):
                if self.rng.random() > prob[s]:
                    continue
                season = 1 + 0.12 * np.sin(2 * np.pi * w / 26 + phase[s])
                qty = max(1.0, level[s] * (1 + trend[s] * w) * season * self.rng.lognormal(0, noise[s]))
                day = first + timedelta(weeks=w, days=int(self.rng.integers(0, 5)))
                fin = styles[s]
                sales_style = fin.rsplit("/", 1)[0]
                uom = "yds" if (s % 37) else self.pick(["each", "kg"])
                price = round(float(self.rng.uniform(3, 14)), 2)
                lines.append([f"S{day:%y%m}{len(lines):03d}", mdy2(day), self.pick(CUSTOMERS), sales_style,
                              int(round(qty)), uom, f" ${price:,.2f} ", f" ${price * round(qty):,.2f} ",
                              f"INV{10000 + len(lines)}", self.pick(REPS), "", "CT", f"PO{len(lines):05d}"])
        self.files["Sales Activity Report.csv"] = csv_bytes(
            ["Document", "Invoice Date", "Customer", "fStyle#", "Yds_ordered", "UOM", "Unit Price", "Line Price",
             "1st Invoice", "Sales Rep", "Commission", "Selling Co", "PO#"], lines, bom=False)
        so_rows = []
        for i in range(self.n(130)):
            fin = styles[i % len(styles)]
            uom = "yds" if i % 17 else "lbs"
            ordered = float(self.pick([500, 1000, 2000, 3000, 5000]))
            shipped = 0.0 if i % 4 else round(ordered * float(self.rng.uniform(0.2, 1.05)), 1)
            balance = round(ordered - shipped, 1)
            hold = "on" if i % 9 == 0 else "off"
            toggle = (f"<div id='holdButton_{20000 + i}' style='text-align: center;'><i class='fa fa-toggle-{hold}' "
                      f"style='font-weight: normal; color: #ccc;' onClick='setReleased({20000 + i},0)'></i></div>")
            quoted = self.as_of + timedelta(days=int(self.rng.integers(-10, 60)))
            status = "Open" if i % 8 else "Picked"
            so_rows.append([status, f"S{self.as_of:%y%m}{400 - i:03d}", self.pick(CSRS),
                            f"${self.rng.uniform(3, 14):.2f} ({uom})", mdy(quoted), fin.rsplit("/", 1)[0], fin, toggle,
                            uom, num(ordered, 0 if i % 2 else 1), num(shipped), num(balance), num(0.0), f"SP{i:05d}/1",
                            str(18000 + i), self.pick(CUSTOMERS), self.pick(CUSTOMERS), ""])
        self.files["eFab_SO_List.csv"] = csv_bytes(
            ["Status", "SO #", "CSR", "Unit Price", "Quoted Date", "cFVersion", "fBase", "On Hold", "UOM", "Ordered",
             "Picked/Shipped", "Balance", "Available", "SOP", "PO #", "Sold To", "Ship To", "Ship Date"], so_rows)


def first_day(*, scale: float, seed: int, as_of: date) -> FirstDay:
    """The demo mill on ``as_of`` with every export generated (``FirstDay.files``)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    demo = FirstDay(scale, seed, as_of)
    demo.suppliers()
    demo.yarns()
    demo.styles()
    demo.machines()
    demo.finished()
    demo.knit_orders()
    demo.inventory_and_pos()
    demo.stages()
    demo.sales()
    # eFab's own demand reports (Yarn_Demand*, computed by its scheduler) are not generated here.
    return demo
