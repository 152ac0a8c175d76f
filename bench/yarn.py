"""Benchmark: the yarn plan (after parsing, uncached) on the real snapshot and on the demo at scale 1 and 10,
plus the real plan's purchase headline (buys, expedites, reconciles, defers); JSON.

Wall-clock percentiles suffer from other processes on a shared machine; ``yarn_plan_cpu_ms_real`` (process CPU
time of the same calls) is the steadier figure to compare runs with."""

from __future__ import annotations

import json
import time

from common import REAL, demo_snapshot, real_snapshot, timings_ms

from bk.services import yarn

HEADLINE = ("buys", "buy_lbs", "buy_usd", "buys_past_order_by", "expedites", "expedite_lbs", "reconciles", "defers",
            "defer_lbs", "unpriced_actions", "total_demand_lbs", "lbs_without_bom", "kos_by_bom_source")


def cpu_ms(fn, *, repeats: int = 15) -> dict:
    return timings_ms(fn, repeats=repeats, warmup=1, clock=time.process_time)


def measure() -> dict:
    out = {}
    if REAL.is_dir():
        real = real_snapshot()
        out["yarn_plan_ms_real"] = timings_ms(lambda: yarn.plan(real.frames, as_of=real.as_of))
        out["yarn_plan_cpu_ms_real"] = cpu_ms(lambda: yarn.plan(real.frames, as_of=real.as_of))
        out["yarn_evidence_ms_real"] = timings_ms(lambda: yarn.action_evidence(real.frames, as_of=real.as_of),
                                                  repeats=5)
        out["yarn_reconcile_ms_real"] = timings_ms(lambda: yarn.reconcile(real.frames, as_of=real.as_of), repeats=5)
        summary = yarn.plan(real.frames, as_of=real.as_of)["summary"]
        out["purchase_headline_real"] = {k: (round(summary[k], 1) if isinstance(summary[k], float) else summary[k])
                                         for k in HEADLINE}
    for scale in (1, 10):
        demo = demo_snapshot(scale)
        out[f"yarn_plan_ms_demo_scale{scale}"] = timings_ms(lambda d=demo: yarn.plan(d.frames, as_of=d.as_of),
                                                            repeats=7 if scale > 1 else 15)
        out[f"demo_scale{scale}_open_kos"] = int((demo.frames["knit_orders"]["balance_lbs"] > 0).sum())
    return out


if __name__ == "__main__":
    print(json.dumps(measure()))
