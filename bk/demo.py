"""Synthetic demo snapshot in the ERP's exact export formats (headers, number/date styles, HTML, JSON-in-CSV)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ENCODING_BOM = b"\xef\xbb\xbf"
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
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


# ------------------------------------------------------------------------------------------- formatting


def num(x: float, decimals: int = 1, *, blank_zero: bool = False) -> str:
    """eFab's number style: thousands separators, fixed decimals; zero may print as a blank."""
    if blank_zero and round(x, decimals) == 0:
        return ""
    return f"{x:,.{decimals}f}"


def money(x: float, *, parens: bool = False) -> str:
    """eFab's money style: ' $4.07 ', negatives as ' ($2,183.40)' or '-$1.00'."""
    if x < 0 and parens:
        return f"(${abs(x):,.2f})"
    sign = "-" if x < 0 else ""
    return f"{sign}${abs(x):,.2f} "


def mdy(d: date | None) -> str:
    return "" if d is None else f"{d.month}/{d.day}/{d.year}"


def mdy2(d: date) -> str:
    return f"{d:%m-%d-%y}"


def csv_bytes(header: list[str], rows: list[list[object]], *, bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (ENCODING_BOM if bom else b"") + buf.getvalue().encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """A workbook whose bytes depend only on its content (fixed properties and zip timestamps)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for row in rows:
        ws.append(row)
    fixed = datetime(2025, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "bk demo"
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            data = src.read(name)
            if name == "docProps/core.xml":
                # openpyxl writes the save time into dcterms:modified whatever the property says
                text = data.decode()
                start = text.find("<dcterms:modified")
                end = text.find("</dcterms:modified>")
                if start >= 0 and end >= 0:
                    text = text[:start] + ('<dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z'
                                           ) + text[end:]
                data = text.encode()
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


# -------------------------------------------------------------------------------------------- generator


class _Demo:
    def __init__(self, scale: float, seed: int, as_of: date):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.scale = scale
        self.as_of = as_of
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
        self.yarn_ids = np.arange(10001, 10001 + n)
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
        self.kos = []
        rows = []
        for i, style in enumerate(styles):
            ko = f"K{self.as_of:%y%m}{900 - i:03d}" if i < 100 else f"K{(self.as_of - timedelta(days=40)):%y%m}{i:03d}"
            ordered = float(self.pick([500, 1000, 1200, 2000, 4000, 6000, 16000]))
            progress = self.rng.uniform(0, 1) if i % 3 else 0.0
            g00 = round(ordered * progress * 0.7, 1)
            shipped = round(ordered * progress * 0.3, 1)
            seconds = round(g00 * 0.01, 1) if i % 5 == 0 else 0.0
            balance = round(max(0.0, ordered - g00 - shipped + seconds), 1)
            start = None if i % 11 == 0 else self.as_of + timedelta(days=int(self.rng.integers(-30, 45)))
            quoted = None if i % 7 == 0 else (start or self.as_of) + timedelta(days=int(self.rng.integers(10, 60)))
            machine = "" if i % 5 == 0 else self.pick(machines)
            machine_text = "" if machine == "" else (f"{machine:03d}" if i % 3 == 0 else
                                                     (f"{machine}.0" if i % 3 == 1 else str(machine)))
            order_text = ko + ("&nbsp;<i class='fa fa-exclamation-triangle' style='color:red;' title='This knit "
                               "order has a zero or negative knit price!'></i>" if i % 6 == 0 else "")
            modified = self.as_of - timedelta(days=int(i % 9))
            rows.append([style, order_text, mdy(start), mdy(quoted), num(ordered), num(g00, blank_zero=True),
                         num(shipped, blank_zero=True), num(balance), num(seconds, blank_zero=True), "",
                         machine_text, "", mdy(modified)])
            self.kos.append((ko, style, balance, machine))
        self.files["eFab_Knit_Orders.csv"] = csv_bytes(
            ["Style #", "Order #", "Start Date", "Quoted Date", "Qty Ordered (lbs)", "G00 (lbs)", "Shipped (lbs)",
             "Balance (lbs)", "Seconds (lbs)", "BKI #s", "Machine", "PO#", "Modified"], rows)

    def inventory_and_pos(self) -> None:
        n = len(self.yarn_ids)
        demand = dict.fromkeys(map(int, self.yarn_ids), 0.0)
        for _, style, balance, _ in self.kos:
            for y, f in self.bom[style]:
                demand[y] += balance * f
        # like the real mill: most yarns hold weeks of cover and the open knit orders' needs; a few dozen are
        # tight (tens of shortages, not hundreds), and idle yarns sometimes sit at zero
        consumed = -np.round(self.rng.lognormal(6.0, 1.5, n) * (self.rng.random(n) > 0.3), 2)
        weekly_usage = -consumed / (62 / 7)  # consumed since the reconcile date, 62 days ago
        ko_need = np.array([demand[int(y)] for y in self.yarn_ids])
        cover_weeks = self.rng.lognormal(np.log(10), 0.45, n)
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
        allocated = -np.round([demand[int(y)] * 0.6 for y in self.yarn_ids], 2)
        # open POs: about 7 % of yarns, short-supplied ones first
        po_rows, yarnpo_rows = [], []
        on_order = np.zeros(n)
        fridays = [self.week_start + timedelta(days=4 + 7 * k) for k in range(1, 9)]
        # POs for half of the tightest yarns: the other half is what the planners must buy today
        tightest = np.argsort(theoretical + allocated)[: max(2, self.n(160))]
        short = self.rng.choice(tightest, size=max(1, self.n(80)), replace=False)
        for k, i in enumerate(sorted(short)):
            yarn = int(self.yarn_ids[i])
            amount = float(self.pick([2500, 3000, 5000, 10000, 20000]))
            rec = float(np.round(amount * self.rng.uniform(0, 0.8) if k % 2 else 0.0, 0))
            bal = amount - rec
            on_order[i] += bal
            po = f"Y{(self.as_of - timedelta(days=30 + k)):%y%m}{k:03d}"
            po_date = self.as_of - timedelta(days=int(30 + k * 3))
            buckets = np.zeros(11)  # past due, this week, 8 weeks, later
            slot = int(self.rng.integers(0, 11))
            buckets[slot] = bal
            if k % 5 == 0 and slot < 10:  # split delivery
                buckets[slot] = round(bal / 2)
                buckets[slot + 1] = bal - round(bal / 2)
            sup = self.yarn_supplier[i]
            ytype, blend = self.yarn_type[i]
            po_rows.append([mdy(po_date), po, sup.title(), yarn, money(self.yarn_cost[i]), num(theoretical[i], 2),
                            num(amount, 0), num(rec, 0), num(bal, 0)]
                           + [num(b, 0, blank_zero=True) for b in buckets]
                           + [ytype, "1", "150", "48", self.yarn_color[i], blend])
            requested = self.as_of + timedelta(days=int(7 * slot - 7))
            yarnpo_rows.append([po, "Open", yarn, f"{po_date.isoformat()} 10:{k % 60:02d}:00", requested.isoformat(),
                                "", f"{amount:g}", f"{bal:.1f}", sup, "150/1/48", ytype, self.yarn_color[i],
                                self.yarn_desc[i] + " ", f"{self.yarn_cost[i]:.2f}", f"{amount * self.yarn_cost[i]:.1f}"])
        self.files["Expected_Yarn_Report.csv"] = csv_bytes(
            ["PO Date", "PO #", "Purchased From", "Desc", "Price", "INVEN", "PO Order Amt", "Rec'd", "PO Bal",
             "Unscheduled or Past Due", "This Week"] + [mdy(f) for f in fridays]
            + ["Later", "Type", "Ply", "Size", "Filament", "Color", "Blend"], po_rows)
        self.files["YarnPO.csv"] = csv_bytes(
            ["PO#", "Status", "Desc#", "Ordered", "Requested", "Quoted", "Qty", "Balance", "Supplier", "Size", "Type",
             "Color", "Description", "$/lb", "Total $"], list(reversed(yarnpo_rows)), bom=False)
        planning = np.round(theoretical + allocated + on_order, 2)
        rows = []
        for i in range(n):
            reconcile = "Never" if i % 500 == 3 else (self.as_of - timedelta(days=62)).isoformat()
            total = round(theoretical[i] * self.yarn_cost[i], 2)
            rows.append([int(self.yarn_ids[i]), "CFAB", self.yarn_supplier[i], self.yarn_desc[i], self.yarn_color[i],
                         f"{beginning[i]:,.2f}", num(received[i], 2, blank_zero=True), f"{consumed[i]:,.2f}",
                         num(adjustments[i], 2, blank_zero=True), f"{theoretical[i]:,.2f}",
                         "CT" if i % 5 == 0 else "", f"{on_order[i]:,.2f}", f"{allocated[i]:,.2f}",
                         f"{planning[i]:,.2f}", reconcile, money(self.yarn_cost[i]), money(total)])
        self.files["yarn_inventory.csv"] = csv_bytes(
            ["Desc#", "QS Cust", "Supplier", "Description", "Color", "Beginning Balance", "Received", "Consumed",
             "Adjustments", "Theoretical Balance", "Misc", "On Order", "Allocated", "Planning Balance",
             "Reconcile Date", "Cost/Pound", "Total Cost"], rows)
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


def demo_files(*, scale: float = 1.0, seed: int = 7, as_of: date = date(2025, 8, 28)) -> dict[str, bytes]:
    """The demo snapshot as {file name: bytes}; the same arguments always give the same bytes."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    demo = _Demo(scale, seed, as_of)
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
    return dict(sorted(demo.files.items()))


def write_demo(out_dir: str | Path, *, scale: float = 1.0, seed: int = 7,
               as_of: date = date(2025, 8, 28)) -> list[Path]:
    """Write the demo snapshot into ``out_dir`` (created if needed); returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in demo_files(scale=scale, seed=seed, as_of=as_of).items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written
