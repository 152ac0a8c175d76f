"""The demo mill from one export day to the next, moved on as the real mill moves (DOMAIN.md §8).

Knit orders knit well below their style rate, and some not at all (stalled, start date in the past; now and
then one is rescheduled to a later start); knit orders are added, and a finished one is listed at a balance of 0
once, then gone. PO deliveries due in the
window arrive in full, in part or not (then the supplier reschedules them, or they turn past due, where few
arrive); a PO received in full is gone. Buyers place new POs for some shortages that are real and near (the
needs of knit orders that are moving), never for yarns covered by open POs. Knitting consumes yarn, receipts
add to it. Rolls, sales and sales orders stay those of the first day.

The history draws from its own random stream, so the first day stays the single-day demo byte for byte.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from bk.demo.base import RETIRED, SUPPLIERS, FirstDay, KnitOrder, PurchaseOrder

OPEN_LBS = 0.5  # a KO with less left is finished
STALLED_SHARE = 0.25  # knit orders that do not knit at all (no yarn, no machine, on hold)
STALLED_SHARE_UNSTARTED = 0.6  # of those that have not knitted a pound although their start date passed
RESUME_CHANCE, STALL_CHANCE = 0.15, 0.05  # a stalled KO starts knitting / a moving one stalls, per window
RESCHEDULE_KO_CHANCE = 0.05  # a stalled KO whose start has passed gets a later start, per window
IDLE_CHANCE = 0.1  # a moving knit order that knits nothing in one window (machine down, changeover)
PACE = (0.6, 1.0)  # share of the style's rate a moving knit order achieves
NEW_KOS_PER_DAY = 2.5  # at scale 1
NEAR_DAYS = 21  # the buyers' horizon: needs of moving KOs that start within it
BUY_CHANCE = 0.5  # a buyer orders for a near shortage seen on an export day
PAST_DUE_ARRIVAL_PER_DAY = 0.004  # ~4 % of past-due pounds arrive in 11 days
PART_CHANCE = 0.15  # a due delivery arrives in part
RESCHEDULE_CHANCE = 0.6  # a due delivery that did not arrive is rescheduled (else it turns past due)
FUTURE_SLIP_CHANCE = 0.04  # a later delivery rescheduled further out in one window
RELIABILITY = (0.9, 0.75, 0.5, 0.2)  # on-time chances the suppliers are drawn from
LEAD_DAYS = {name: lead for name, lead, _, _ in SUPPLIERS}
MOQ_LBS = {name: moq for name, _, moq, _ in SUPPLIERS}


class History:
    """Moves a ``FirstDay`` mill on in place; ``files(day)`` are that day's exports."""

    def __init__(self, mill: FirstDay, *, seed: int):
        self.mill = mill
        self.rng = np.random.Generator(np.random.PCG64([seed, 24]))
        self.rate = {style: float(r) for style, r in zip(mill.greige, mill.rate, strict=True)}
        self.reliability = {name: float(self.rng.choice(RELIABILITY)) for name, *_ in SUPPLIERS}
        self.next_ko = self.next_po = 1000  # 4-digit sequences: never one of the first day's 3-digit numbers
        self.done: set[str] = set()  # KOs listed at a balance of 0 on the last day: gone on the next
        for k in mill.knit:
            unstarted = k.g00 + k.shipped == 0 and k.start is not None and k.start < mill.as_of
            k.stalled = bool(self.rng.random() < (STALLED_SHARE_UNSTARTED if unstarted else STALLED_SHARE))

    # -- one window ------------------------------------------------------------------------------------

    def advance(self, day: date, until: date) -> None:
        """Move the mill from export day ``day`` to the next, ``until``."""
        self.mill.knit = [k for k in self.mill.knit if k.ko not in self.done and k.balance > 0]
        self.done = set()
        self.knit(day, until)
        self.add_knit_orders(day, until)
        self.receive(day, until)
        self.buy(day, until)
        if max(k.modified for k in self.mill.knit) < until:  # the export day shows in the knit orders' edits
            self.mill.knit[0].modified = until

    def knit(self, day: date, until: date) -> None:
        rng, stock = self.rng, self.mill.stock
        for k in self.mill.knit:
            k.stalled = bool(rng.random() >= RESUME_CHANCE) if k.stalled else bool(rng.random() < STALL_CHANCE)
            changed = False
            if k.stalled and k.start is not None and k.start < until and rng.random() < RESCHEDULE_KO_CHANCE:
                k.start = until + timedelta(days=int(rng.integers(7, 29)))  # the planner moves it out
                changed = True
            if k.g00 > 0:  # greige rolls leave for the dyer: G00 to shipped, the balance stays
                moved = round(k.g00 * float(rng.uniform(0.1, 0.4)), 1)
                k.g00, k.shipped = round(k.g00 - moved, 1), round(k.shipped + moved, 1)
                changed = changed or moved > 0
            first = max(day, k.start or day)
            balance = k.balance
            if balance <= 0 or k.stalled or first >= until or rng.random() < IDLE_CHANCE:
                k.modified = until if changed else k.modified
                continue
            workdays = sum((first + timedelta(days=d)).weekday() < 6 for d in range((until - first).days))
            lbs = min(balance, round(self.rate[k.style] * workdays * float(rng.uniform(*PACE)), 1))
            if balance - lbs < 1.0:  # finished: listed at 0 today, gone on the next export day
                lbs = balance
                k.g00 = round(k.ordered - k.shipped + k.seconds, 1)
                self.done.add(k.ko)
            else:
                k.g00 = round(k.g00 + lbs, 1)
            k.modified = until
            for yarn, fraction in self.mill.bom[k.style]:
                used = round(lbs * fraction, 2)
                stock.consumed[yarn - self.mill.first_yarn] -= used
                stock.theoretical[yarn - self.mill.first_yarn] -= used

    def add_knit_orders(self, day: date, until: date) -> None:
        rng, mill = self.rng, self.mill
        styles = list(mill.finished_of)
        machines = sorted(mill.machine_wc)
        for _ in range(int(rng.poisson(NEW_KOS_PER_DAY * (until - day).days * mill.scale))):
            start = until + timedelta(days=int(rng.integers(0, 21)))
            machine = "" if rng.random() < 0.2 else str(machines[int(rng.integers(0, len(machines)))])
            ko = KnitOrder(f"K{until:%y%m}{self.next_ko}", styles[int(rng.integers(0, len(styles)))],
                           float(rng.choice([500, 1000, 1200, 2000, 4000, 6000, 16000])), 0.0, 0.0, 0.0, start,
                           start + timedelta(days=int(rng.integers(10, 60))), machine, warning=False, modified=until,
                           stalled=bool(rng.random() < STALLED_SHARE))
            self.next_ko += 1
            mill.knit.append(ko)

    def receive(self, day: date, until: date) -> None:
        rng, mill = self.rng, self.mill
        gap = (until - day).days
        for po in mill.pos:
            on_time = self.reliability.get(mill.yarn_supplier[po.yarn], RELIABILITY[-1])
            slipped = 0
            for delivery in po.deliveries:
                when, lbs = delivery
                arrived = 0.0
                if when is None or when < day:  # past due already: few of these arrive
                    if rng.random() < PAST_DUE_ARRIVAL_PER_DAY * gap:
                        arrived = lbs
                elif when - timedelta(days=int(rng.integers(0, 5))) <= until:  # arrives this window (Mon-Fri of its week)
                    u = rng.random()
                    if u < on_time:
                        arrived = lbs
                    elif u < on_time + PART_CHANCE:
                        arrived = float(round(lbs * rng.uniform(0.3, 0.7)))
                    elif rng.random() < RESCHEDULE_CHANCE:
                        slipped = slipped or 7 * int(rng.integers(1, 4))
                        delivery[0] = when + timedelta(days=slipped)
                elif rng.random() < FUTURE_SLIP_CHANCE:
                    slipped = slipped or 7 * int(rng.integers(1, 3))
                    delivery[0] = when + timedelta(days=slipped)
                if arrived:
                    delivery[1] = lbs - arrived
                    po.received += arrived
                    mill.stock.received[po.yarn] += arrived
                    mill.stock.theoretical[po.yarn] += arrived
            if slipped:
                po.requested += timedelta(days=slipped)
            po.deliveries = [d for d in po.deliveries if d[1] > OPEN_LBS]
        mill.pos = [po for po in mill.pos if po.balance > OPEN_LBS]  # received in full: off the report

    def buy(self, day: date, until: date) -> None:
        """New POs for yarns whose near needs (moving knit orders) exceed stock and open POs."""
        rng, mill = self.rng, self.mill
        need = np.zeros(len(mill.yarn_ids))
        horizon = until + timedelta(days=NEAR_DAYS)
        for k in mill.knit:
            if k.stalled or (k.start is not None and k.start > horizon):
                continue
            for yarn, fraction in mill.bom[k.style]:
                need[yarn - mill.first_yarn] += k.balance * fraction
        short = need - mill.stock.theoretical - mill.on_order()
        for i in np.flatnonzero(short > 0):
            supplier = mill.yarn_supplier[i]
            if supplier in RETIRED or rng.random() >= BUY_CHANCE:
                continue
            moq = MOQ_LBS[supplier]
            amount = float(max(moq, 500 * math.ceil(short[i] * 1.3 / 500)))
            placed = until - timedelta(days=int(rng.integers(0, (until - day).days)))
            arrives = placed + timedelta(days=LEAD_DAYS[supplier])
            arrives += timedelta(days=(4 - arrives.weekday()) % 7)  # deliveries are booked on Fridays
            mill.pos.append(PurchaseOrder(f"Y{until:%y%m}{self.next_po}", int(i), amount, 0.0, placed,
                                          f"{placed.isoformat()} 09:{self.next_po % 60:02d}:00", arrives,
                                          [[arrives, amount]]))
            self.next_po += 1

    # -- the day's exports --------------------------------------------------------------------------------

    def files(self, day: date) -> dict[str, bytes]:
        """The exports that move (knit orders, open POs, yarn inventory) as of ``day``."""
        mill = self.mill
        return {"eFab_Knit_Orders.csv": mill.knit_orders_file(), **mill.po_files(day),
                "yarn_inventory.csv": mill.inventory_file(mill.allocated(mill.ko_need()))}
