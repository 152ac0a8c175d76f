"""The command line: validate exit codes and JSON, yarn-demand CSV columns, report keys, demo."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from tests.conftest import DEMO_FIRST as DEMO
from tests.conftest import ROOT


def bk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bk", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_validate_real_snapshot_exits_zero(real_dir):
    result = bk("validate", str(real_dir))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 21


def test_validate_json_and_failing_file(tmp_path):
    good = tmp_path / "Machine Report.csv"
    good.write_bytes(b"WC,MACH\n9.38.20.F,161\n")
    bad = tmp_path / "notes.csv"
    bad.write_bytes(b"hello,world\n1,2\n")
    result = bk("validate", "--json", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["FAILED notes.csv: no known export header in the first 15 rows; "
                                                  "is this an eFab export?"]
    listed = {r["file"]: r for r in json.loads(result.stdout)}
    assert listed["Machine Report.csv"]["kind"] == "machines" and listed["Machine Report.csv"]["rows"] == 1
    assert listed["Machine Report.csv"]["columns"] == ["work_center", "machine"]
    assert listed["notes.csv"]["kind"] is None


def test_yarn_demand_by_ko_and_by_yarn(tmp_path):
    out = tmp_path / "ko.csv"
    assert bk("yarn-demand", str(DEMO), "--out", str(out)).returncode == 0
    by_ko = pd.read_csv(out)
    assert list(by_ko.columns[:5]) == ["knit_order", "style", "yarn_id", "fraction", "total_lbs"]
    assert by_ko.columns[5] == "week_of_2025-08-25" and by_ko.columns[-1] == "later"
    out = tmp_path / "yarn.csv"
    assert bk("yarn-demand", str(DEMO), "--by", "yarn", "--as-of", "2025-09-03", "--out", str(out)).returncode == 0
    by_yarn = pd.read_csv(out)
    assert by_yarn.columns[4] == "demand_week_of_2025-09-01"
    # today's columns keep their order; the purchase-plan columns of issue 15 follow them
    assert list(by_yarn.columns[-12:]) == ["first_shortage_week", "shortage_lbs", "suggested_order_lbs", "order_by",
                                           "expedite", "total_demand_lbs", "open_po_lbs", "net_shortage_lbs",
                                           "buy_lbs", "action", "lead_time_days", "lead_time_source"]
    actions = tmp_path / "actions.csv"
    assert bk("yarn-demand", str(DEMO), "--by", "yarn", "--out", str(out), "--actions", str(actions)).returncode == 0
    listed = pd.read_csv(actions)
    assert list(listed.columns[:7]) == ["yarn_id", "action", "po_number", "lbs", "need_week", "order_by", "reason"]
    assert len(listed) > 0


def test_report_has_the_issue_keys(tmp_path, real_dir):
    out = tmp_path / "r.json"
    assert bk("report", str(real_dir), "--json", str(out)).returncode == 0
    report = json.loads(out.read_text())
    assert set(report["inventory"]) == {"yarn_count", "shortage_count", "shortage_lbs", "planning_balance_lbs",
                                        "on_hand_value_usd", "below_reorder_count"}
    assert set(report["pipeline"]) == {"stage_lbs", "open_so_count", "so_balance_yds", "so_uncovered_yds"}
    assert set(report["pipeline"]["stage_lbs"]) == {"g00", "g02", "i01", "f01", "p01"}
    assert set(report["capacity"]) == {"machines", "work_centers", "assigned_kos", "unassigned_kos", "late_kos",
                                       "max_wc_utilization", "suggestions_before_start", "unassigned_kos_suggested",
                                       "unassigned_kos_in_load", "median_rate_kos", "family_rate_kos",
                                       "as_of_week_days_left", "no_date_kos", "hot_spots", "split_kos",
                                       "long_part_kos", "kos_off_work_centre", "remnant_kos"}
    assert report["capacity"]["suggestions_before_start"] == 0 and report["capacity"]["as_of_week_days_left"] == 2.5
    assert set(report["forecast"]) == {"series", "wape_selected", "wape_naive", "wape_zero", "best_model_counts",
                                      "first_forecast_period", "history_end", "demand_classes", "levels", "to_yarn"}


def test_demo_command_writes_a_snapshot(tmp_path):
    result = bk("demo", "--out", str(tmp_path / "d"), "--scale", "0.05", "--seed", "3")
    assert result.returncode == 0 and len(list((tmp_path / "d").iterdir())) == 18
