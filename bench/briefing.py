"""Benchmark: the morning briefing on two snapshots (the real day and a copy edited by hand, else the demo and a
copy); the diff with causes computed cold, and the Overview page's server time once its results are cached. JSON."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import pandas as pd
from common import REAL, ROOT, timings_ms


def _second_day(source: Path, folder: Path) -> Path:
    """A copy of ``source`` with one open KO gone and one yarn's stock 1000 lbs lower (when those files exist)."""
    day = folder / "day2"
    shutil.copytree(source, day)
    kos = next((p for p in day.iterdir() if "Knit_Orders" in p.name), None)
    if kos is not None:
        k = pd.read_csv(kos, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        k.iloc[1:].to_csv(kos, index=False, encoding="utf-8-sig")
    inventory = day / "yarn_inventory.csv"
    if inventory.exists():
        i = pd.read_csv(inventory, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        value = float(i.loc[0, "Theoretical Balance"].replace(",", "") or 0)
        i.loc[0, "Theoretical Balance"] = f"{value - 1000:.2f}"
        i.to_csv(inventory, index=False, encoding="utf-8-sig")
    return day


def measure() -> dict:
    from streamlit.testing.v1 import AppTest

    from bk.ingest.snapshot import SnapshotStore
    from bk.services import briefing

    source = REAL if REAL.is_dir() else ROOT / "data" / "demo"
    out: dict = {"snapshot": "real 2025-08-28 + edited copy" if source == REAL else "demo + edited copy"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["BK_SNAPSHOT_DIR"] = str(tmp_path / "store")
        os.environ["BK_CACHE_DIR"] = str(tmp_path / "cache")
        store = SnapshotStore(tmp_path / "store")
        day2 = _second_day(source, tmp_path)
        first = store.save([(p.name, p.read_bytes()) for p in sorted(source.iterdir())], as_of=date(2025, 8, 28))
        time.sleep(1.1)  # saved_at has whole seconds
        second = store.save([(p.name, p.read_bytes()) for p in sorted(day2.iterdir())], as_of=date(2025, 8, 28))
        old, new = store.load(first.snapshot_id), store.load(second.snapshot_id)

        out["briefing_diff_ms_cold"] = timings_ms(
            lambda: briefing.diff(old.frames, new.frames, old_as_of=old.as_of, new_as_of=new.as_of),
            repeats=3, warmup=0)
        out["briefing_today_ms_cold"] = timings_ms(lambda: briefing.today_view(new.frames, as_of=new.as_of),
                                                   repeats=3, warmup=0)
        result = briefing.diff(old.frames, new.frames, old_as_of=old.as_of, new_as_of=new.as_of)
        out["causes"] = int(len(result["causes"]))
        out["identity_max_error_lbs"] = float(
            (result["causes"][["demand", "receipts", "stock", "other"]].sum(axis=1)
             - result["causes"]["shortage_change_lbs"]).abs().max()) if len(result["causes"]) else 0.0

        app = str(ROOT / "app.py")
        t = time.perf_counter()
        at = AppTest.from_file(app, default_timeout=120).run()
        out["overview_first_run_ms"] = round((time.perf_counter() - t) * 1000, 1)
        out["overview_exceptions"] = [e.message for e in at.exception]
        for thread in threading.enumerate():  # the background warm-up of every page's default view
            if thread.name.startswith("bk-warm"):
                thread.join()
        # later runs of the same session: the snapshot, both plans, the diff and today come from the caches
        out["overview_cached_run_ms"] = timings_ms(at.run, repeats=10, warmup=1)
        out["overview_cached_exceptions"] = [e.message for e in at.exception]
        out["overview_headers"] = [h.value for h in at.header]
        out["target_ms"] = 300.0
    return out


if __name__ == "__main__":
    print(json.dumps(measure()))
