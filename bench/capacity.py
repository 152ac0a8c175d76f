"""Benchmark: capacity.plan uncached on the real snapshot (the demo at scale 1 when it is absent) and on the demo
at scales 1 and 10; prints JSON with median and p95 in ms (wall clock and CPU) against the 100 ms target and the
10×-scale ratio (target ≤ 10)."""

from __future__ import annotations

import json
import os
import time

from common import REAL, demo_snapshot, real_snapshot, timings_ms

from bk.services import capacity

TARGET_MS = 100.0


def cpu_ms(fn, *, repeats: int) -> float:
    """Median process CPU time of one call (the machine is shared: wall clock includes other people's work)."""
    return timings_ms(fn, repeats=repeats, warmup=1, clock=time.process_time)["p50"]


def measure(*, repeats: int = 25) -> dict:
    out: dict = {"target_ms": TARGET_MS, "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    cases = {"real": real_snapshot} if REAL.is_dir() else {}
    cases |= {"demo_scale_1": lambda: demo_snapshot(1), "demo_scale_10": lambda: demo_snapshot(10)}
    for name, load in cases.items():
        snapshot = load()
        f, as_of = snapshot.frames, snapshot.as_of

        def run(f=f, as_of=as_of):
            return capacity.plan(f, as_of=as_of)

        n = repeats if name != "demo_scale_10" else max(5, repeats // 3)
        t = timings_ms(run, repeats=n, warmup=2)
        s = run()["summary"]
        out[name] = {"open_kos": s["assigned_kos"] + s["unassigned_kos"], "machines": s["machines"],
                     "median_ms": t["p50"], "p95_ms": t["p95"], "max_ms": t["max"], "n": t["n"],
                     "cpu_median_ms": cpu_ms(run, repeats=n)}
    if "real" in out:
        out["real"]["within_target"] = out["real"]["p95_ms"] <= TARGET_MS
    one, ten = out["demo_scale_1"], out["demo_scale_10"]
    out["scale_10_over_1_p95"] = round(ten["p95_ms"] / one["p95_ms"], 2)
    out["scale_10_over_1_cpu"] = round(ten["cpu_median_ms"] / one["cpu_median_ms"], 2)
    out["scale_within_target"] = out["scale_10_over_1_p95"] <= 10
    return out


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
