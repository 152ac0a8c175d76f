"""Data: upload the day's exports, see each file's kind and findings, save them as a snapshot, pick one."""

from datetime import date, datetime

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.ingest.schema import KINDS
from bk.ingest.snapshot import infer_as_of
from ui import auth, services, state, uploads
from ui.coverage import inherited_kinds, limited_pages, missing_exports
from ui.format import findings_frame, plain, short_date
from ui.shell import require_shell
from ui.table import show_table

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
    rows = [{"file": e.name, "title": KINDS[e.kind].title, "rows": e.rows,
             **{f"{k}s" if k != "info" else k: v for k, v in e.severity_counts().items()}} for _, e in parsed]
    if rows:
        st.subheader("Recognised")
        show_table(pd.DataFrame(rows), key="recognised", search=False, max_height_px=900)  # every file at a glance
        with st.expander("Findings per file"):
            show_table(findings_frame([f for _, e in parsed for f in e.findings]), "findings", key="findings")
    for message in failed:
        st.error(plain(message))
    kinds = [e.kind for _, e in parsed]
    repeated = sorted({k for k in kinds if kinds.count(k) > 1})
    for kind in repeated:
        st.error(f"Two files are {KINDS[kind].title}; remove one.")
    exports = {e.kind: e for _, e in parsed}
    guessed, source = infer_as_of(exports, [u.name for u, _ in parsed]) if exports else (date.today(), "today")
    as_of = st.date_input("As-of date", value=guessed, help=f"Guessed from the {source}.")
    if parsed:
        listed = state.saved_snapshots()  # one listing: another session may save meanwhile
        names = state.snapshot_names(listed)
        earlier = [(names[i.snapshot_id], i.as_of, i.kinds) for i in listed]
        missing = missing_exports(exports, as_of=as_of, earlier=earlier)
        taken = inherited_kinds(exports, as_of=as_of, earlier=earlier)
        for donor in sorted(set(taken.values())):
            st.caption(f"Master data not uploaded, taken from {donor}: "
                       + ", ".join(KINDS[k].title for k, label in sorted(taken.items()) if label == donor))
        if missing.empty:
            st.success("This snapshot has every export the pages use.")
        else:
            blocked = limited_pages(missing)
            head = (f"Without these exports {', '.join(blocked)} will not open" if blocked
                    else "Every page opens, with less")
            st.warning(f"{head}: this snapshot lacks {len(missing)} export need(s) listed below. "
                       "Add the files now, or save anyway.")
            show_table(missing, "missing_exports", key="missing", search=False)
    if failed or repeated or not parsed:
        st.button("Save snapshot", disabled=True, help="Fix or remove the files with errors first.")
    elif not auth.may_save():
        st.button("Save snapshot", disabled=True, help="Saving needs authorisation.")
    elif st.button("Save snapshot", type="primary"):
        before = {i.snapshot_id: i for i in state.saved_snapshots()}
        try:
            info = state.store().save([(u.name, u.getvalue()) for u, _ in parsed], as_of=as_of,
                                      exports={e.kind: e for _, e in parsed})  # parsed above: not again
        except BkError as exc:
            st.error(plain(exc))
        else:
            services.warm(state.load(info.snapshot_id))  # every page's default view, computed before it is asked
            uploads.release_own_uploads()
            st.session_state["uploads_generation"] = st.session_state.get("uploads_generation", 0) + 1
            label = state.snapshot_names().get(info.snapshot_id, state.snapshot_label(info.snapshot_id, info.as_of))
            if info.snapshot_id in before:  # the store returns the snapshot these very files were saved as
                saved = datetime.fromisoformat(before[info.snapshot_id].saved_at)
                message = (f"These files were already saved, on {short_date(saved)} at {saved:%H:%M}, as the "
                           f"snapshot of {label}: nothing new was written; it is now active.")
            else:
                message = f"Saved snapshot {label} ({len(info.files)} files); it is now active."
            state.select_snapshot(info.snapshot_id, message=message)

st.subheader("Saved snapshots")
infos = state.saved_snapshots()
if not infos:
    st.info("No snapshot saved yet: the app shows the demo data.")
else:
    labels = state.snapshot_names(infos)
    table = pd.DataFrame([{"snapshot": labels[i.snapshot_id], "as_of": i.as_of,
                           "saved": f"{short_date(i.saved_at)} {pd.Timestamp(i.saved_at):%H:%M}", "files": len(i.files),
                           "exports": ", ".join(sorted(KINDS[k].title for k in i.kinds))} for i in reversed(infos)])
    show_table(table, key="saved-snapshots", search=False)
    chosen = st.selectbox("Make active", [i.snapshot_id for i in reversed(infos)], format_func=labels.__getitem__,
                          key="make_active")
    if st.button("Use this snapshot"):
        state.select_snapshot(chosen, message=f"Snapshot {labels[chosen]} is now active.")
