"""Benchmark: the yarn plan (after parsing) on the real snapshot and on the demo at scale 1 and 10; JSON."""

from __future__ import annotations

import json

from common import REAL, demo_snapshot, real_snapshot, timings_ms

from bk.services import yarn


def measure() -> dict:
    out = {}
    if REAL.is_dir():
        real = real_snapshot()
        out["yarn_plan_ms_real"] = timings_ms(lambda: yarn.plan(real.frames, as_of=real.as_of))
        out["yarn_reconcile_ms_real"] = timings_ms(lambda: yarn.reconcile(real.frames, as_of=real.as_of), repeats=5)
    for scale in (1, 10):
        demo = demo_snapshot(scale)
        out[f"yarn_plan_ms_demo_scale{scale}"] = timings_ms(lambda d=demo: yarn.plan(d.frames, as_of=d.as_of),
                                                            repeats=7 if scale > 1 else 15)
        out[f"demo_scale{scale}_open_kos"] = int((demo.frames["knit_orders"]["balance_lbs"] > 0).sum())
    return out


if __name__ == "__main__":
    print(json.dumps(measure()))
