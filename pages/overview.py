"""Overview: the morning briefing — what to do today, what changed since an earlier snapshot and why — then the
snapshot's files and data-quality findings."""

from datetime import date

import pandas as pd
import streamlit as st

from bk.errors import BkError, MissingDataError
from bk.ingest.schema import KINDS, OPTIONAL_KINDS
from bk.optimization.manager import DEFAULT_VIEWS
from bk.services import capacity
from bk.services.briefing import today as briefing_today
from bk.services.plan_health import headline as plan_headline
from ui import services, state
from ui.format import findings_frame, plain
from ui.shell import require_shell
from ui.table import show_table, shown_form, table_height
from ui.widgets import lazy_expander

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


def _pick_row(frame: pd.DataFrame, table: str, key: str, page: str, param: str, column: str) -> None:
    """A table (labelled by ``TABLES[table]``) whose selected row opens ``page`` with ``?param=<value of column>``."""
    shown = shown_form(frame, table)
    event = st.dataframe(shown.table, hide_index=True, width="stretch", key=key, on_select="rerun",
                         selection_mode="single-row", column_config=shown.config,
                         height=table_height(shown.table.num_rows))
    rows = event.selection.rows if event is not None else []
    if rows:  # the shown rows keep the frame's index (the spec may sort them)
        st.switch_page(page, query_params={param: str(frame.loc[shown.index[rows[0]], column])})


def _ids(values) -> str:
    return ", ".join(str(v) for v in values)


# ---------------------------------------------------------------------------------------- manager strip
summary = services.derived("overview.files", snapshot, snapshot.summary)
expected_kinds = [k for k in KINDS if k not in OPTIONAL_KINDS]
present = [k for k in expected_kinds if k in snapshot.exports]
demo = state.is_demo(snapshot.snapshot_id)
health = services.manager().health(snapshot)
c = st.columns(6)
c[0].metric("As of", f"{snapshot.as_of:%d %b %Y}")
c[1].metric("Files", len(snapshot.exports))
c[2].metric("Rows", f"{int(summary['rows'].sum()):,}")
c[3].metric("App health", f"{health['app']['score']:.0f}/100",
            help=f"The app itself: {health['app']['status']} (memory, latency, errors). The data scores "
                 f"{health['data']['score']:.0f}/100 apart (see App health)")
c[4].metric("Data age", "demo" if demo else f"{(date.today() - snapshot.as_of).days} days",
            help="Days since the snapshot's as-of date")
c[5].metric("Complete", f"{len(present)}/{len(expected_kinds)}", help="Export kinds in this snapshot")
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
    c = st.columns(6)
    c[0].metric("Expedite", n["expedite"], help="Buys whose order-by date already passed, and open POs that "
                "arrive after the yarn needs them (the yarn plan's actions)")
    c[1].metric("Buy this week", n["buy"], help="The yarn plan's buys whose order-by date falls in this week")
    c[2].metric("Late KOs", n["late_kos"], help="Scheduled or suggested KOs whose last part finishes after the "
                "quoted date (the Knitting capacity page's count)")
    c[3].metric("No quoted date", n["no_date_kos"], help="Scheduled KOs without a quoted date: lateness unknown")
    c[4].metric("Capacity hot spots", n["hot_spots"], help=f"Work centres with a week at "
                f"{capacity.HOT_SPOT_UTILISATION:.0%} or more of their machine-days in the next "
                f"{capacity.HOT_SPOT_WEEKS} weeks (committed and suggested load)")
    c[5].metric("Reconcile", n["reconcile"], help="Stock records to correct (negative stock without demand)")
    # (part of today, heading, table spec, widget key, page a row opens, its query parameter, the row's column)
    for part, heading, spec, key, target, param, column in (
            ("buy", "Buy and expedite", "today_actions", "today_buy", "pages/yarn.py", "yarn", "yarn_id"),
            ("late_kos", "Late knit orders", "late_kos", "today_late", "pages/capacity.py", "knit_order", "knit_order"),
            ("hot_spots", "Capacity hot spots (next 4 weeks)", "hot_spots", "today_hot", "pages/capacity.py",
             "work_center", "work_center"),
            ("reconcile", "Reconcile", "today_reconcile", "today_reconcile", "pages/yarn.py", "yarn", "yarn_id")):
        if len(today[part]):
            st.subheader(heading)
            _pick_row(today[part], spec, key, target, param, column)
    if not any(v for k, v in n.items() if k != "no_date_kos"):  # a missing date is not a thing due
        st.success("Nothing due this week.")

# ----------------------------------------------------------------------------------------------- since
# the snapshots of the same kind (saved ones, or the demo days) before this one, newest first
family = state.history(snapshot.snapshot_id)
ids = [i for i, _ in family]
earlier = family[:ids.index(snapshot.snapshot_id)][::-1] if snapshot.snapshot_id in ids else []
if not earlier:
    st.header("Since the last snapshot")
    st.info("Save another snapshot to see what changed since the previous one, and why.")
else:
    days = dict(earlier)
    labels = {i: state.snapshot_label(i, day) for i, day in earlier}
    earlier_id = st.selectbox("Compare with", list(labels), format_func=labels.__getitem__, key="briefing_earlier")
    day = days[earlier_id]
    st.header(f"Since {day:%a} {day.day} {day:%b %Y}")
    try:
        change = services.run("briefing.diff", snapshot, earlier_snapshot_id=earlier_id)
    except BkError as exc:
        st.error(plain(exc))
    else:
        counts = change["summary"]
        for title, section in (("Knit orders", "knit_orders"), ("Purchase orders", "purchase_orders"),
                               ("Shortages", "shortages")):
            st.caption(title)
            cols = st.columns(len(counts[section]))
            for col, (kind, value) in zip(cols, counts[section].items(), strict=True):
                col.metric(f"{title}: {kind.replace('_', ' ')}", value)
        st.caption(f"Stock moves over 100 lbs: {counts['stock_changes']}")
        causes = change["causes"]
        st.subheader(f"Causes ({len(causes)} yarns)")
        st.caption("Each shortage change split in this order: demand (knit orders), receipts (open POs), stock "
                   "(on hand), other (master data and the calendar); the four add up to the change.")
        if causes.empty:
            st.info("No yarn's shortage changed.")
        else:
            shown = causes.assign(kos=causes["kos"].map(_ids), pos=causes["pos"].map(_ids))
            _pick_row(shown, "briefing_causes", "briefing_causes", "pages/yarn.py", "yarn", "yarn_id")
        changed = lazy_expander("Changed knit orders, POs, stock and shortages", key="briefing_changed")
        if changed is not None:
            with changed:
                for name in ("knit_orders", "purchase_orders", "stock", "shortages"):
                    st.markdown(f"**{name.replace('_', ' ').capitalize()}** ({len(change[name])})")
                    show_table(change[name], "briefing_changes", key=f"briefing_{name}")

# -------------------------------------------------------------------------------------- files, findings
st.header("Files and findings")
findings = services.derived("overview.findings", snapshot, lambda: findings_frame(snapshot.findings))
counts = findings["severity"].value_counts()
c = st.columns(2)
c[0].metric("Warnings", int(counts.get("warning", 0)))
c[1].metric("Errors", int(counts.get("error", 0)))
if snapshot.inherited:
    st.warning("Some master data or sales history is not in this snapshot and was taken from earlier ones: "
               + "; ".join(f"{KINDS[k].title} from {v}" for k, v in sorted(snapshot.inherited.items())))
missing = [KINDS[k].title for k in expected_kinds if k not in snapshot.exports]
if missing:
    st.caption("Not in this snapshot: " + ", ".join(missing))
st.subheader("Files")
show_table(summary, "files", key="files")
st.subheader("Data-quality findings")
if findings.empty:
    st.success("No findings.")
else:
    severity = st.segmented_control("Severity", ["error", "warning", "info"], default=["error", "warning"],
                                    selection_mode="multi")
    shown = services.derived("overview.findings_shown", snapshot,
                             lambda: findings[findings["severity"].isin(severity or [])], severity=severity or [])
    show_table(shown, "findings", key="findings", download="findings")
