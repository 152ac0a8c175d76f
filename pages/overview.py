"""Overview: the morning briefing — what to do today, what changed since an earlier snapshot and why — then the
snapshot's files and data-quality findings."""

from datetime import date

import streamlit as st

from bk.errors import BkError, MissingDataError
from bk.ingest.schema import KINDS, OPTIONAL_KINDS
from bk.optimization.manager import DEFAULT_VIEWS
from bk.services import capacity
from bk.services.plan_health import headline as plan_headline
from bk.services.today import today as briefing_today
from ui import comparison, services, state
from ui.format import findings_frame, plain
from ui.shell import require_shell
from ui.table import pick_row, show_table
from ui.widgets import Figure, figures, lazy_expander

require_shell()
CAPACITY_VIEW = dict(DEFAULT_VIEWS)["capacity.plan"]  # the Knitting capacity page's default horizon and threshold

st.title("Overview")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
pairs = services.plan_pairs(snapshot)
if pairs:  # how the previous export day's plan did, scored on this one (bk.services.plan_health)
    try:
        st.markdown("**How the last plan did.** " + plan_headline(services.plan_check(snapshot, pairs[-1][0]))
                    + " Plan health on the App health page.")
    except BkError as exc:
        st.error(plain(exc))


# ---------------------------------------------------------------------------------------- manager strip
names = state.snapshot_names()


def files_table():
    files = snapshot.summary()  # inherited files name the snapshot they come from by its date, never its id
    return files.assign(inherited_from=files["inherited_from"].map(lambda i: names.get(i, "") if i else ""))


summary = services.derived("overview.files", snapshot, files_table, names=tuple(sorted(names.items())))
expected_kinds = [k for k in KINDS if k not in OPTIONAL_KINDS]
present = [k for k in expected_kinds if k in snapshot.exports]
demo = state.is_demo(snapshot.snapshot_id)
health = services.manager().health(snapshot)
# the as-of date and the number of exports are the sidebar's (one figure per fact); rows per file in the files table
figures([
    Figure("Data age", "demo" if demo else f"{(date.today() - snapshot.as_of).days} days",
           "Days since the snapshot's as-of date"),
    Figure("Complete", f"{len(present)}/{len(expected_kinds)}", "Exports in this snapshot, of those the pages use"),
    Figure("App health", f"{health['score']:.0f}/100",
           f"The app and its data: {health['status']} (the score and its parts on the App health page)")], per_row=4)
if demo:
    st.info("You are looking at **synthetic demo data**. Upload the day's exports on the Data page.")

# ---------------------------------------------------------------------------------------------- today
st.header("Today")
try:
    # from the Yarn requirements and Knitting capacity pages' default views: computed once, shared with them
    plan = services.run("yarn.plan", snapshot, **services.plan_view(snapshot))
    try:
        capacity_plan = services.run("capacity.plan", snapshot, **CAPACITY_VIEW)
    except MissingDataError:  # no machine report: today without late KOs and hot spots
        capacity_plan = None
    today = services.derived("overview.today", snapshot, lambda: briefing_today(
        plan, as_of=snapshot.as_of, capacity_result=capacity_plan), sources=(plan, capacity_plan))
except BkError as exc:
    st.error(plain(exc))
else:
    n = today["counts"]
    figures([
        Figure("Expedite", n["expedite"], "Open POs that arrive after the yarn needs them: pull them in (the yarn "
               "plan's expedite actions, as on Yarn requirements)"),
        Figure("Buys past order-by", n["buys_past_order_by"], "The yarn plan's buys whose order-by date has "
               "passed: place them now"),
        Figure("Buy this week", n["buy"], "The yarn plan's buys whose order-by date falls later this week"),
        Figure("Reconcile", n["reconcile"], "Stock or yarn records to correct before buying"),
        Figure("Late KOs", n["late_kos"], "Scheduled or suggested KOs whose last part finishes after the quoted "
               "date (the Knitting capacity page's count)"),
        Figure("No quoted date", n["no_date_kos"], "Scheduled KOs without a quoted date: lateness unknown"),
        Figure("Capacity hot spots", n["hot_spots"], f"Work centres with a week at "
               f"{capacity.HOT_SPOT_UTILISATION:.0%} or more of their machine-days in the next "
               f"{capacity.HOT_SPOT_WEEKS} weeks (committed and suggested load)")], per_row=4)
    if len(today["buy"]):
        st.subheader("Buy and expedite this week")
        pick_row(today["buy"], "today_actions", "today_buy", "pages/yarn.py", "yarn", "yarn_id")
    # the other lists open on demand (their counts are the figures above): three tables fewer to draw on every
    # visit of the page a planner opens first
    # (part of today, heading, table spec, widget key, page a row opens, its query parameter, the row's column)
    for part, heading, spec, key, target, param, column in (
            ("late_kos", "Late knit orders", "late_kos", "today_late", "pages/capacity.py", "knit_order", "knit_order"),
            ("hot_spots", "Capacity hot spots (next 4 weeks)", "hot_spots", "today_hot", "pages/capacity.py",
             "work_center", "work_center"),
            ("reconcile", "Reconcile", "today_reconcile", "today_reconcile", "pages/yarn.py", "yarn", "yarn_id")):
        if len(today[part]) and (box := lazy_expander(heading, key=f"{key}_list")) is not None:
            with box:
                pick_row(today[part], spec, key, target, param, column)
    if not any(v for k, v in n.items() if k != "no_date_kos"):  # a missing date is not a thing due
        st.success("Nothing due this week.")

# ----------------------------------------------------------------------------------------------- since
st.header("Since an earlier snapshot")
earlier_id = comparison.pick_earlier(snapshot, key="briefing_earlier")
if earlier_id is not None:
    st.subheader(comparison.title(snapshot, earlier_id))
    comparison.show(snapshot, earlier_id, key="briefing")

# -------------------------------------------------------------------------------------- files, findings
st.header("Files and findings")
findings = services.derived("overview.findings", snapshot, lambda: findings_frame(snapshot.findings))
counts = findings["severity"].value_counts()
n_errors, n_warnings = int(counts.get("error", 0)), int(counts.get("warning", 0))
if n_errors:
    st.error(f"{n_errors} data-quality error(s) in this snapshot's files: see them below.")
if snapshot.inherited:
    st.warning("Some master data or sales history is not in this snapshot and was taken from earlier ones: "
               + "; ".join(f"{KINDS[k].title} from {names.get(v, 'an earlier snapshot')}"
                          for k, v in sorted(snapshot.inherited.items())))
missing = [KINDS[k].title for k in expected_kinds if k not in snapshot.exports]
if missing:
    st.caption("Not in this snapshot: " + ", ".join(missing))
# the files and every finding on demand: the counts above say whether to look
files_box = lazy_expander(f"Files ({len(summary)}) and data-quality findings ({len(findings)}: {n_errors} errors, "
                          f"{n_warnings} warnings)", key="overview_files")
if files_box is not None:
    with files_box:
        st.markdown("**Files**")
        show_table(summary, "files", key="files")
        st.markdown("**Data-quality findings**")
        if findings.empty:
            st.success("No findings.")
        else:
            severity = st.segmented_control("Severity", ["error", "warning", "info"], default=["error", "warning"],
                                            selection_mode="multi")
            shown = services.derived("overview.findings_shown", snapshot,
                                     lambda: findings[findings["severity"].isin(severity or [])],
                                     severity=severity or [])
            show_table(shown, "findings", key="findings", download="findings")
