"""Data: upload the day's exports, see each file's kind and findings, save them as a snapshot, pick one."""

from datetime import date

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.ingest.schema import KINDS
from bk.ingest.snapshot import infer_as_of
from ui import auth, state, uploads
from ui.format import findings_frame, plain
from ui.shell import require_shell

require_shell()

st.title("Data")
state.flash()
st.caption("Upload the exports of one day (CSV or XLSX, any file names: each file is recognised by its header). "
           "Nothing is saved until you press **Save snapshot**; the active snapshot stays as it is until then.")


uploads.release_ended_sessions()
# a new key after each save gives an empty uploader (the saved files are released)
files = st.file_uploader("Exports", type=["csv", "xlsx"], accept_multiple_files=True,
                         key=f"uploads_{st.session_state.get('uploads_generation', 0)}")
if files:
    uploads.track_session()
parsed, failed = [], []
for upload in files or []:
    data = upload.getvalue()
    export, error = uploads.parse(upload.name, data)
    if error:
        failed.append(error)
    else:
        parsed.append((upload, export))

if files:
    rows = [{"file": e.name, "kind": e.kind, "report": KINDS[e.kind].title, "rows": e.rows,
             **e.severity_counts()} for _, e in parsed]
    if rows:
        st.subheader("Recognised")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        with st.expander("Findings per file"):
            findings = findings_frame([f for _, e in parsed for f in e.findings])
            st.dataframe(findings, hide_index=True, width="stretch")
    for message in failed:
        st.error(plain(message))
    kinds = [e.kind for _, e in parsed]
    repeated = sorted({k for k in kinds if kinds.count(k) > 1})
    for kind in repeated:
        st.error(f"Two files are {KINDS[kind].title} ({kind}); remove one.")
    exports = {e.kind: e for _, e in parsed}
    guessed, source = infer_as_of(exports, [u.name for u, _ in parsed]) if exports else (date.today(), "today")
    as_of = st.date_input("As-of date", value=guessed, help=f"Guessed from the {source}.")
    if failed or repeated or not parsed:
        st.button("Save snapshot", disabled=True, help="Fix or remove the files with errors first.")
    elif not auth.may_save():
        st.button("Save snapshot", disabled=True, help="Saving needs authorisation.")
    elif st.button("Save snapshot", type="primary"):
        try:
            info = state.store().save([(u.name, u.getvalue()) for u, _ in parsed], as_of=as_of)
        except BkError as exc:
            st.error(plain(exc))
        else:
            uploads.release_own_uploads()
            st.session_state["uploads_generation"] = st.session_state.get("uploads_generation", 0) + 1
            state.select_snapshot(info.snapshot_id,
                                  message=f"Saved snapshot {info.snapshot_id} ({len(info.files)} files); it is now active.")

st.subheader("Saved snapshots")
infos = state.store().list()
if not infos:
    st.info("No snapshot saved yet: the app shows the demo data.")
else:
    table = pd.DataFrame([{"snapshot": i.snapshot_id, "as of": i.as_of, "saved at": i.saved_at,
                           "files": len(i.files), "kinds": ", ".join(sorted(i.kinds))} for i in reversed(infos)])
    st.dataframe(table, hide_index=True, width="stretch")
    chosen = st.selectbox("Make active", [i.snapshot_id for i in reversed(infos)], key="make_active")
    if st.button("Use this snapshot"):
        state.select_snapshot(chosen, message=f"Snapshot {chosen} is now active.")
