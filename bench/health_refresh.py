"""What App health's 2 s refresh costs in the server with full buffers: the score (``ServiceManager.health``:
5,000 recent calls, an hour of memory samples) against the engineers' per-operation percentiles
(``profiler.report``), which the refresh no longer computes. Usage: python bench/health_refresh.py"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import timings_ms  # noqa: E402
from bk.optimization.manager import ServiceManager  # noqa: E402
from bk.optimization.memory import MemoryMonitor  # noqa: E402
from bk.optimization.profiler import RECENT_CALLS  # noqa: E402


def main() -> None:
    rng = random.Random(0)
    clock = {"t": 0.0}
    monitor = MemoryMonitor(clock=lambda: clock["t"], rss_mb=lambda: 300 + rng.random(), threshold_mb=1e9)
    for second in range(3600):
        clock["t"] = float(second)
        monitor.sample()
    manager = ServiceManager()
    manager.monitor = monitor
    operations = [f"op.{i}" for i in range(12)] + [f"page:Page {i}" for i in range(8)]
    for _ in range(RECENT_CALLS):
        manager.profiler.record(rng.choice(operations), rng.expovariate(1 / 150), cold=rng.random() < 0.05)
    out = {"recent_calls": len(manager.profiler.recent()), "memory_samples": len(monitor.samples),
           "health_ms": timings_ms(lambda: manager.health(leak_alert_mb_per_min=5.0), repeats=50),
           "profiler_report_ms": timings_ms(manager.profiler.report, repeats=50)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
