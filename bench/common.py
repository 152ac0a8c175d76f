"""Shared helpers for the benchmarks: load the real snapshot or a generated demo at a scale; time calls."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = Path(os.environ.get("BK_SHARED_DIR") or ROOT.parent / "shared") / "snapshots" / "2025-08-28"


def real_snapshot():
    from bk.ingest.snapshot import load_paths

    snapshot, _ = load_paths([REAL])
    return snapshot


def demo_snapshot(scale: float):
    """The demo generated at ``scale`` (kept under bench/out/ between runs)."""
    from bk.demo import write_demo
    from bk.ingest.snapshot import load_paths

    folder = ROOT / "bench" / "out" / f"demo-scale-{scale:g}"
    if not (folder / "yarn_inventory.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            write_demo(tmp, scale=scale)
            for p in Path(tmp).iterdir():
                p.rename(folder / p.name)
    snapshot, _ = load_paths([folder])
    return snapshot


def timings_ms(fn, *, repeats: int = 15, warmup: int = 2, clock=time.perf_counter) -> dict:
    """p50/p95/max (ms) of ``fn`` after ``warmup`` calls; ``clock=time.process_time`` measures this process's
    CPU time (the machine is shared: wall clock includes other people's work)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t = clock()
        fn()
        samples.append((clock() - t) * 1000)
    samples.sort()
    return {"p50": round(statistics.median(samples), 1),
            "p95": round(samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))], 1),
            "max": round(samples[-1], 1), "n": repeats}
