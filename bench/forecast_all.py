"""Benchmark: backtest + selection + forecast for every sales style, cold (fresh process, statsmodels not yet
imported) and warm; prints JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from common import REAL, ROOT

CODE = """
import json, time, sys
sys.path.insert(0, {root!r})
from bk.ingest.snapshot import load_paths
snapshot, _ = load_paths([{folder!r}])
sales = snapshot.frames["sales_activity"]
from bk.services import forecasting
t = time.perf_counter(); result = forecasting.forecast_all(sales); cold = time.perf_counter() - t
t = time.perf_counter(); forecasting.forecast_all(sales); warm = time.perf_counter() - t
print(json.dumps({{"forecast_all_s": round(cold, 3), "forecast_all_warm_s": round(warm, 3),
                  "series": result["summary"]["series"], "cold": True,
                  "best_model_counts": result["summary"]["best_model_counts"]}}))
"""


def measure() -> dict:
    return measure_folder(REAL if REAL.is_dir() else ROOT / "data" / "demo")


def measure_folder(folder) -> dict:
    out = subprocess.run([sys.executable, "-c", CODE.format(root=str(ROOT), folder=str(folder))],
                         capture_output=True, text=True, check=True)
    return {**json.loads(out.stdout), "snapshot": str(folder)}


if __name__ == "__main__":
    print(json.dumps(measure()))
