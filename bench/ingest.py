"""Benchmark: parse every file of a snapshot folder (default: the real 2025-08-28 exports); prints JSON."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT.parent / "shared" / "snapshots" / "2025-08-28"


def measure(folder: Path, repeats: int = 5) -> dict:
    started = time.perf_counter()
    from bk.ingest.snapshot import load_paths  # the cold figure includes importing pandas and the kernel

    snapshot, failures = load_paths([folder])
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeats):
        t = time.perf_counter()
        load_paths([folder])
        warm.append(time.perf_counter() - t)
    return {
        "ingest_s": round(statistics.median(warm), 3),
        "ingest_cold_s": round(cold, 3),
        "files": len(snapshot.exports) + len(failures),
        "failed": len(failures),
        "rows": int(sum(e.rows for e in snapshot.exports.values())),
        "folder": str(folder),
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    print(json.dumps(measure(folder)))
