"""The bench's floor: measured before and after ours, its keys the mean of the two, both measurements kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_floor_keys_are_the_mean_of_the_floor_before_and_after_ours():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    before = {"floor_first_page_s": 2.0, "floor_page_switch_p50_s": 0.1, "floor_page_switch_p95_s": 0.12}
    after = {"floor_first_page_s": 3.0, "floor_page_switch_p50_s": 0.2, "floor_page_switch_p95_s": 0.3}
    floor = run.bracket(before, after)
    assert floor["floor_first_page_s"] == 2.5
    assert floor["floor_page_switch_p50_s"] == 0.15
    assert floor["floor_page_switch_p95_s"] == 0.21
    assert floor["floor_before"] == before and floor["floor_after"] == after
