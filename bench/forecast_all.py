"""Benchmark: classification, nested backtest, selection and forecast at every level the forecasting page offers
(total, customer, family, style × weeks, months), cold (fresh process) and warm; the style level alone; prints JSON
with the level table (selected vs naive vs zero, out of sample), the out-of-sample table per demand class of the
styles, and the time of the forecast → yarn demand (its own proven 9-week forecast included)."""

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
from bk.services import forecast_levels, forecasting
t = time.perf_counter(); levels = forecast_levels.levels_view(snapshot.frames, as_of=snapshot.as_of)
levels_cold = time.perf_counter() - t
t = time.perf_counter(); forecast_levels.levels_view(snapshot.frames, as_of=snapshot.as_of)
levels_warm = time.perf_counter() - t
t = time.perf_counter(); result = forecasting.forecast_view(snapshot.frames, as_of=snapshot.as_of)
cold = time.perf_counter() - t
t = time.perf_counter(); forecasting.forecast_view(snapshot.frames, as_of=snapshot.as_of)
warm = time.perf_counter() - t
from bk.services import forecast_yarn
t = time.perf_counter(); fy = forecast_yarn.yarn_forecast_demand(snapshot.frames, as_of=snapshot.as_of)
yarn_s = time.perf_counter() - t
s = result["summary"]
classes = result["classes"].round(4).to_dict(orient="records")
table = levels["table"].drop(columns="key").round(4).to_dict(orient="records")
print(json.dumps({{"all_levels_s": round(levels_cold, 3), "all_levels_warm_s": round(levels_warm, 3),
                  "levels": table, "best_level": levels["best"], "forecast_all_s": round(cold, 3), "forecast_all_warm_s": round(warm, 3),
                  "series": s["series"], "cold": True, "history_end": s["history_end"],
                  "first_forecast_period": s["first_forecast_period"], "gap_periods": s["gap_periods"],
                  "demand_classes": s["demand_classes"], "best_model_counts": s["best_model_counts"],
                  "out_of_sample_by_class": classes, "forecast_yarn_s": round(yarn_s, 3),
                  "forecast_yarn": {{k: v for k, v in fy["summary"].items() if k != "consumption"}}}}, default=str))
"""


def measure() -> dict:
    return measure_folder(REAL if REAL.is_dir() else ROOT / "data" / "demo")


def measure_folder(folder) -> dict:
    out = subprocess.run([sys.executable, "-c", CODE.format(root=str(ROOT), folder=str(folder))],
                         capture_output=True, text=True, check=True)
    return {**json.loads(out.stdout), "snapshot": str(folder)}


if __name__ == "__main__":
    print(json.dumps(measure()))
