"""AppTest of the plan line (Overview) and Plan health (App health) from the store: the demo days before anything
is uploaded, the saved snapshots once there are some (never one against the demo)."""

from __future__ import annotations

import re
import time
from datetime import date

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.services.backtest import backtest
from bk.services.plan_health import headline, plan_score
from bk.services.yarn import APP_VIEW
from tests.conftest import DEMO_DAYS
from tests.pages.conftest import app, as_numbers, chart, figures, no_exceptions, page
from tests.pages.readable import assert_readable, table_with

DAYS = sorted(DEMO_DAYS.iterdir())


def _scored(old, new) -> dict:
    before, _ = load_paths([old])
    after, _ = load_paths([new])
    return backtest(before.frames, after.frames, old_as_of=before.as_of, new_as_of=after.as_of, **APP_VIEW)


def _plan_chart(at):
    return chart(at, "Plan health by the day the plan was checked")


def test_the_picker_lists_every_demo_day_newest_first():
    at = app().run()
    no_exceptions(at)
    picker = at.selectbox(key="snapshot_picker")
    assert picker.options == ["Demo data (synthetic) · 11 Sep 2025", "Demo data (synthetic) · 8 Sep 2025",
                              "Demo data (synthetic) · 4 Sep 2025", "Demo data (synthetic) · 1 Sep 2025",
                              "Demo data (synthetic) · 28 Aug 2025"]
    assert picker.value == "demo"  # the newest day
    picker.set_value("demo-2025-08-28").run()  # the first day has no earlier plan to check
    no_exceptions(at)
    assert not any(m.value.startswith("**How the last plan did.**") for m in at.markdown)


def test_overview_opens_with_how_the_previous_demo_day_s_plan_did():
    at = page("overview.py").run()
    no_exceptions(at)
    line = at.markdown[0].value  # the first thing under the title
    expected = headline(_scored(DAYS[-2], DAYS[-1]))
    assert expected.startswith("The plan of 8 Sep 2025, checked on 11 Sep 2025: the mill knitted ")
    assert line == f"**How the last plan did.** {expected} Plan health on the App health page."


def test_health_page_scores_the_plans_of_the_demo_days():
    at = page("health.py").run()
    no_exceptions(at)
    assert [h.value for h in at.subheader][0] == "Plan health"
    latest = plan_score(_scored(DAYS[-2], DAYS[-1]))
    assert isinstance(latest["score"], int)
    assert next(m.value for m in figures(at) if m.label == "Plan health") == f"{latest['score']} / 100"
    parts = table_with(at, "Component", "Points", "Out of", "Figure behind it").set_index("Component")
    assert list(parts.index) == ["Knitting as planned", "Buys followed by a PO", "Receipts on time"]
    assert list(parts["Out of"]) == ["40", "30", "30"]
    assert parts["Figure behind it"].str.contains("lbs|buys").all()
    # the trend: one point per consecutive pair of demo days, dated by the day each plan was checked
    drawn = _plan_chart(at)
    assert drawn is not None
    score_line = drawn.data[drawn.data["line"] == "Plan health (0-100)"].sort_values("checked_on")
    assert [str(x)[:10] for x in score_line["checked_on"]] == ["2025-09-01", "2025-09-04", "2025-09-08",
                                                                "2025-09-11"]
    scores = list(score_line["value"])
    assert scores[-1] == latest["score"] and scores[0] == plan_score(_scored(DAYS[0], DAYS[1]))["score"]
    # its three parts beside it, on a 0-100 axis over a time axis
    assert set(drawn.data["line"]) == {"Plan health (0-100)", "Knitting as planned (%)", "Buys followed (%)",
                                       "Receipts on time (%)"}
    last = drawn.data[drawn.data["checked_on"] == drawn.data["checked_on"].max()].set_index("line")["value"]
    for line, component in (("Buys followed (%)", "Buys followed by a PO"), ("Receipts on time (%)",
                                                                           "Receipts on time")):
        shown = re.search(r"\((\d+) %\)", parts.loc[component, "Figure behind it"])  # its share, in the table
        assert last[line] == int(shown.group(1)), line
    encoding = drawn.spec["encoding"]
    assert encoding["x"]["type"] == "temporal" and encoding["y"]["scale"]["domain"] == [0, 100]
    suppliers = table_with(at, "Supplier", "On time (%)", "Due (lbs)", "Arrived (lbs)")
    assert len(suppliers) > 0 and as_numbers(suppliers["On time (%)"]).is_monotonic_increasing
    assert (as_numbers(suppliers["Arrived (lbs)"]) <= as_numbers(suppliers["Due (lbs)"])).all()
    assert_readable(at)


def test_saved_snapshots_are_scored_on_each_other_never_on_the_demo(isolated_store):
    store = SnapshotStore(isolated_store)
    store.save([(p.name, p.read_bytes()) for p in DAYS[2].iterdir()], as_of=date(2025, 9, 4))
    at = page("overview.py").run()
    no_exceptions(at)
    assert not any(m.value.startswith("**How the last plan did.**") for m in at.markdown)  # one saved day
    at = page("health.py").run()
    no_exceptions(at)
    assert any(i.value.startswith("Plan health needs an earlier snapshot") for i in at.info)
    time.sleep(1.1)  # saved_at has whole seconds
    store.save([(p.name, p.read_bytes()) for p in DAYS[-1].iterdir()], as_of=date(2025, 9, 11))
    at = page("overview.py").run()
    no_exceptions(at)
    # 4 Sep -> 11 Sep: the saved pair, not the demo's 8 Sep -> 11 Sep
    assert at.markdown[0].value == ("**How the last plan did.** " + headline(_scored(DAYS[2], DAYS[-1]))
                                    + " Plan health on the App health page.")
    assert "The plan of 4 Sep 2025, checked on 11 Sep 2025" in at.markdown[0].value
    at = page("health.py").run()
    no_exceptions(at)
    assert next(m.value for m in figures(at) if m.label == "Plan health") == (
        f"{plan_score(_scored(DAYS[2], DAYS[-1]))['score']} / 100")
    assert any(m.value.endswith("over the last 1 checks") for m in at.markdown)
    assert _plan_chart(at) is None  # one check: a score, no trend yet


def test_demo_days_share_their_unchanged_exports_and_read_as_load_paths_reads_them():
    from ui import state

    first, last = state._load_demo("demo-2025-08-28"), state._load_demo("demo")
    assert first.exports["bom"] is last.exports["bom"]  # the same bytes every day: parsed once
    assert first.exports["knit_orders"] is not last.exports["knit_orders"]
    for snapshot, folder in ((first, DAYS[0]), (last, DAYS[-1])):
        plain, _ = load_paths([folder])
        assert (snapshot.as_of, snapshot.digest) == (plain.as_of, plain.digest)
        assert [str(f) for f in snapshot.findings] == [str(f) for f in plain.findings]
