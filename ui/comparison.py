"""The one comparison of two snapshots on screen (``briefing.diff``): the Overview and Yarn inventory show the same
figures, the same way, naming both snapshots."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.ingest.snapshot import Snapshot
from bk.services.briefing import CHANGE_WORDS
from ui import services, state
from ui.format import plain
from ui.table import pick_row, show_table
from ui.widgets import Figure, figures, lazy_expander

# (section of the summary, its title, the change codes shown as figures in this order)
SECTIONS = (("shortages", "Shortages", ("new", "cleared", "deeper", "shallower")),
            ("knit_orders", "Knit orders", ("added", "finished", "rescheduled", "balance_changed")),
            ("purchase_orders", "Purchase orders", ("added", "closed", "received", "past_due", "rescheduled")))
FIGURE_WORDS = {**CHANGE_WORDS, "new": "new", "cleared": "cleared", "balance_changed": "knitted or changed"}


def pick_earlier(snapshot: Snapshot, *, key: str) -> str | None:
    """A picker of the snapshot to compare with (saved ones for a saved snapshot, demo days for a demo day; the
    latest earlier one first); None (and why) when there is none."""
    earlier = dict(state.earlier_snapshots(snapshot.snapshot_id))
    if not earlier:
        st.info("Save another snapshot to see what changed since the previous one, and why.")
        return None
    return st.selectbox("Compare with", list(earlier), format_func=earlier.__getitem__, key=key)


def title(snapshot: Snapshot, earlier_id: str) -> str:
    """'2 Sep 2025 compared with 28 Aug 2025' (the time saved too where two snapshots share a date)."""
    names = {**state.snapshot_names(), **dict(state.earlier_snapshots(snapshot.snapshot_id))}
    now = names.get(snapshot.snapshot_id, state.snapshot_label(snapshot.snapshot_id, snapshot.as_of))
    return f"{now} compared with {names.get(earlier_id, 'an earlier snapshot')}"


def _words(frame: pd.DataFrame) -> pd.DataFrame:
    if "change" not in frame:
        return frame
    return frame.assign(change=frame["change"].map(lambda c: CHANGE_WORDS.get(c, c)).astype("string"))


def show(snapshot: Snapshot, earlier_id: str, *, key: str) -> None:
    """The comparison of the active snapshot with ``earlier_id``: counts, each shortage change split into its
    causes with what happened (a selected cause row opens its yarn on Yarn requirements), and the changed KOs,
    POs, stock and shortages (in an expander)."""
    try:
        change = services.run("briefing.diff", snapshot, earlier_snapshot_id=earlier_id)
    except BkError as exc:
        st.error(plain(exc))
        return
    counts = change["summary"]
    for section, heading, kinds in SECTIONS:
        st.caption(heading)
        figures([Figure(f"{heading}: {FIGURE_WORDS[kind]}", counts[section].get(kind, 0)) for kind in kinds],
                per_row=5)
    st.caption(f"Stock moves over 100 lbs: {counts['stock_changes']}. A shortage is the deepest planning balance "
               "below zero (stock and every open PO, the observed knitting pace): the figure of Yarn requirements "
               "and Yarn inventory. A PO counts as received only when its balance fell by more than 0.5 lb.")
    causes = change["causes"]
    st.subheader(f"Causes ({len(causes)} yarns)")
    st.caption("Each shortage change split in this order: demand (knit orders), receipts (open POs), stock "
               "(on hand), other (master data and the calendar); the four add up to the change.")
    if causes.empty:
        st.info("No yarn's shortage changed.")
    else:
        shown = causes.assign(kos=causes["kos"].map(", ".join), pos=causes["pos"].map(", ".join))
        pick_row(shown, "briefing_causes", f"{key}_causes", "pages/yarn.py", "yarn", "yarn_id")
    box = lazy_expander("Changed knit orders, POs, stock and shortages", key=f"{key}_changed")
    if box is not None:
        with box:
            for name, heading in (("knit_orders", "Knit orders"), ("purchase_orders", "Purchase orders"),
                                  ("stock", "Stock"), ("shortages", "Shortages")):
                st.markdown(f"**{heading}** ({len(change[name])})")
                show_table(_words(change[name]), "briefing_changes", key=f"{key}_{name}")

