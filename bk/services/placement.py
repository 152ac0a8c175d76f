"""Placing open KOs on machines (positions in machine-days): each machine knits its KOs one after another; an
unassigned KO goes where in its style's work centre it can start first; a KO that one machine would knit for
longer than the split limit is split across free machines of the same work centre, never into parts below one
day's knitting."""

from __future__ import annotations

import bisect
import math

import pandas as pd

ASSIGNED, SPLIT, SUGGESTED = "assigned", "split", "suggested"
MIN_PART_DAYS = 1.0  # one day's knitting: no part of a split KO is smaller

Busy = dict[int, list[tuple[float, float]]]


def part_count(days: float, *, max_days: float, machines: int) -> int:
    """Parts a KO of ``days`` machine-days is split into: enough that none exceeds ``max_days``, at most one per
    machine of ``machines``, and never a part below one day's knitting."""
    if not days > max_days or machines < 2:
        return 1
    return int(max(1, min(math.ceil(days / max_days), math.floor(days / MIN_PART_DAYS), machines)))


def first_gap(taken, earliest: float, days: float) -> float:
    """Earliest position >= ``earliest`` where ``days`` fit between a machine's placements (sorted)."""
    t = earliest
    for b, e in taken:
        if e <= t:
            continue
        if b >= t + days:
            break
        t = e
    return t


def _sequence(assigned: pd.DataFrame, days: dict, busy: Busy) -> dict:
    """Each machine's KOs one after another (``assigned`` sorted by machine, start, KO): key -> (machine, begin)."""
    out = {}
    for key, m, earliest in zip(assigned.index, assigned["machine"].astype("int64"), assigned["earliest_units"],
                                strict=True):
        taken = busy.setdefault(m, [])
        begin = max(earliest, taken[-1][1]) if taken else earliest
        taken.append((begin, begin + days[key]))
        out[key] = (m, begin)
    return out


def _helpers(busy: Busy, machines: list[int], earliest: float, part: float, finish_alone: float,
             wanted: int) -> list[int]:
    """Up to ``wanted`` machines where a part can start first, each only if the part would finish there before
    the whole KO would finish alone (a machine busy for months is no help)."""
    starts = sorted((first_gap(busy.get(m, ()), earliest, part), m) for m in machines)
    return [m for s, m in starts if s + part < finish_alone][:wanted]


def _reserve(busy: Busy, machine: int, earliest: float, days: float) -> float:
    begin = first_gap(busy.get(machine, ()), earliest, days)
    bisect.insort(busy.setdefault(machine, []), (begin, begin + days))
    return begin


def place(plannable: pd.DataFrame, machine_wc: pd.Series, *, max_days: float) -> tuple[list[tuple], dict]:
    """Placements (key, machine, begin, end, placement, part) of the KOs in ``plannable`` (columns machine,
    style_work_center, machine_days, earliest_units, sort_start, knit_order) and a note per KO left unplaced.

    KOs with a machine are placed first, one after another on it (by start date, blank = as-of, then KO
    number). One longer than ``max_days`` keeps a part on its machine ('assigned', part 1) and puts the others
    ('split') on the machines of that machine's work centre where they can start first and would finish before
    the whole KO would alone; the KOs after it on its machine move up. Then each unassigned KO (by start date,
    then KO) goes on the machine(s) of its style's work centre where it can start first ('suggested'), in a gap
    between placements if it fits, split the same way; later KOs see the earlier ones placed.
    """
    by_wc: dict[str, list[int]] = {}
    wc_of: dict[int, str] = {}
    for m, w in machine_wc.dropna().items():  # once, not per KO: there are thousands at scale
        by_wc.setdefault(str(w), []).append(int(m))
        wc_of[int(m)] = str(w)
    has_machine = plannable["machine"].notna()
    assigned = plannable.loc[has_machine].sort_values(["machine", "sort_start", "knit_order"], kind="mergesort")
    days = dict(zip(assigned.index, assigned["machine_days"], strict=True))
    earliest_of = dict(zip(assigned.index, assigned["earliest_units"], strict=True))

    # a first pass without splits shows which machines are free when; the helpers of each long KO are picked on it
    probe: Busy = {}
    unsplit = _sequence(assigned, days, probe)
    helpers: dict = {}
    for key in assigned.sort_values(["sort_start", "knit_order"], kind="mergesort").index:
        m0, begin0 = unsplit[key]
        n = part_count(days[key], max_days=max_days, machines=len(by_wc.get(wc_of.get(m0, ""), ())))
        if n == 1:
            continue
        others = [m for m in by_wc[wc_of[m0]] if m != m0]
        earliest = earliest_of[key]
        chosen = _helpers(probe, others, earliest, days[key] / n, begin0 + days[key], n - 1)
        if chosen:
            helpers[key] = chosen
            for m in chosen:
                _reserve(probe, m, earliest, days[key] / (1 + len(chosen)))

    busy: Busy = {}
    own = {k: d / (1 + len(helpers.get(k, ()))) for k, d in days.items()}
    out = [(k, m, b, b + own[k], ASSIGNED, 1) for k, (m, b) in _sequence(assigned, own, busy).items()]
    for key, machines in helpers.items():
        earliest = earliest_of[key]
        for part, m in enumerate(machines, start=2):
            begin = _reserve(busy, m, earliest, own[key])
            out.append((key, m, begin, begin + own[key], SPLIT, part))

    notes = {}
    ordered = plannable.loc[~has_machine].sort_values(["sort_start", "knit_order"], kind="mergesort")
    for key, wc, earliest, total in zip(ordered.index, ordered["style_work_center"], ordered["earliest_units"],
                                        ordered["machine_days"], strict=True):
        if pd.isna(wc):
            notes[key] = "style has no work centre in the greige list"
            continue
        candidates = by_wc.get(str(wc), [])
        if not candidates:
            notes[key] = f"no machine in work centre {wc}"
            continue
        begin, best = min((first_gap(busy.get(m, ()), earliest, total), m) for m in candidates)
        n = part_count(total, max_days=max_days, machines=len(candidates))
        chosen = _helpers(busy, candidates, earliest, total / n, begin + total, n) if n > 1 else [best]
        # a smaller part fits wherever the whole KO fits, so the best machine is always among the chosen
        for part, m in enumerate(chosen, start=1):
            start = _reserve(busy, m, earliest, total / len(chosen))
            out.append((key, m, start, start + total / len(chosen), SUGGESTED, part))
    return out, notes
