"""Benchmark: inventory and pipeline operations (after parsing) on the real snapshot; prints JSON."""

from __future__ import annotations

import json

from common import REAL, demo_snapshot, real_snapshot, timings_ms

from bk.services import inventory, pipeline


def measure() -> dict:
    snapshot = real_snapshot() if REAL.is_dir() else demo_snapshot(1)
    f, as_of = snapshot.frames, snapshot.as_of
    return {
        "snapshot": "real 2025-08-28" if REAL.is_dir() else "demo scale 1",
        "inventory.analyze_ms": timings_ms(lambda: inventory.analyze(f, as_of=as_of)),
        "inventory.diff_ms": timings_ms(lambda: inventory.diff(f, f)),
        "pipeline.wip_ms": timings_ms(lambda: pipeline.wip(f, as_of=as_of)),
        "pipeline.netting_ms": timings_ms(lambda: pipeline.net_sales_orders(f, as_of=as_of)),
    }


if __name__ == "__main__":
    print(json.dumps(measure()))
