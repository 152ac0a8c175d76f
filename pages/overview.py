"""Overview: what the active snapshot holds — as-of date, files, kinds, rows and data-quality findings."""

import streamlit as st

from bk.ingest.schema import KINDS
from ui import state
from ui.format import findings_frame
from ui.shell import require_shell

require_shell()

st.title("Overview")
snapshot = state.active_snapshot()
if snapshot is not None:
    summary = snapshot.summary()
    findings = findings_frame(snapshot.findings)
    counts = findings["severity"].value_counts()
    c = st.columns(5)
    c[0].metric("As of", f"{snapshot.as_of:%d %b %Y}")
    c[1].metric("Files", len(snapshot.exports))
    c[2].metric("Rows", f"{int(summary['rows'].sum()):,}")
    c[3].metric("Warnings", int(counts.get("warning", 0)))
    c[4].metric("Errors", int(counts.get("error", 0)))
    if snapshot.snapshot_id == state.DEMO_ID:
        st.info("You are looking at **synthetic demo data**. Upload the day's exports on the Data page.")
    if snapshot.inherited:
        st.warning("Some master data is not in this snapshot and was taken from earlier ones: "
                   + "; ".join(f"{KINDS[k].title} from {v}" for k, v in sorted(snapshot.inherited.items())))
    missing = [KINDS[k].title for k in KINDS if k not in snapshot.exports and k != "stage_p01"]
    if missing:
        st.caption("Not in this snapshot: " + ", ".join(missing))
    st.subheader("Files")
    st.dataframe(summary, hide_index=True, width="stretch")
    st.subheader("Data-quality findings")
    if findings.empty:
        st.success("No findings.")
    else:
        severity = st.segmented_control("Severity", ["error", "warning", "info"], default=["error", "warning"],
                                        selection_mode="multi")
        st.dataframe(findings[findings["severity"].isin(severity or [])], hide_index=True, width="stretch")
