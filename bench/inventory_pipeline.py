"""Benchmark: the inventory and pipeline operations, warm (frames already parsed), on the real snapshot (the demo at
scale 1 when it is absent); prints JSON with each operation's median and p95 in ms against the 100 ms target."""

from __future__ import annotations

import json

from common import REAL, demo_snapshot, real_snapshot, timings_ms

from bk.services import inventory, pipeline

TARGET_MS = 100.0


def measure(*, repeats: int = 25) -> dict:
    snapshot = real_snapshot() if REAL.is_dir() else demo_snapshot(1)
    f, as_of = snapshot.frames, snapshot.as_of
    operations = {
        "inventory.analyze": lambda: inventory.analyze(f, as_of=as_of),
        "inventory.report_keys": lambda: inventory.report_keys(f, as_of=as_of),
        "pipeline.wip": lambda: pipeline.pipeline(f, as_of=as_of, aging_days=90),
        "pipeline.netting": lambda: pipeline.net_sales_orders(f, as_of=as_of),
        "pipeline.report_keys": lambda: pipeline.report_keys(f, as_of=as_of),
    }
    results = {}
    for name, fn in operations.items():
        t = timings_ms(fn, repeats=repeats, warmup=3)
        results[name] = {"median_ms": t["p50"], "p95_ms": t["p95"], "max_ms": t["max"], "n": t["n"],
                         "within_target": t["p95"] <= TARGET_MS}
    return {"snapshot": "real 2025-08-28" if REAL.is_dir() else "demo scale 1", "target_ms": TARGET_MS,
            "operations": results}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
