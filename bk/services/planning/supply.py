"""Supply: open POs as deliveries per bucket (expected-yarn report, else PO requested dates), stock on hand, and
what a buyer needs to know per yarn (supplier, price, lead time, MOQ)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.ingest.schema import ISO_WEEK_COLUMN
from bk.services import suppliers as supplier_terms
from bk.services.memo import per_frame
from bk.services.planning.calendar import LATER, N_WEEKS, bucket_labels
from bk.services.settings import env_number
from bk.services.styles import week_monday


def open_pos(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> tuple[pd.DataFrame, str]:
    """Open-PO receipts as eFab schedules them, one row per PO line: po_number, yarn_id, supplier (the PO's
    vendor), price_per_lb, po_date, po_balance_lbs, the 10 bucket columns and ``past_due_lbs`` (unscheduled or
    past due; negative where eFab's week view schedules more than the balance). ``deliveries`` turns these into
    what the planning balance counts.

    From expected_yarn (its date columns go to their ISO week), else from yarn_po requested dates (no date:
    unscheduled). Returns the frame and the name of its source.
    """
    labels = bucket_labels(as_of)
    first = week_monday(as_of)

    def column(frame: pd.DataFrame, name: str, dtype: str) -> np.ndarray:
        if name not in frame:
            return pd.Series(pd.NA if dtype == "string" else np.nan, index=frame.index, dtype=dtype).to_numpy()
        return frame[name].astype(dtype).to_numpy()

    if "expected_yarn" in frames:
        exp = frames["expected_yarn"]
        # summed in numpy and made columns once: setting frame columns one by one costs more than the sums
        arrivals = np.zeros((len(exp), len(labels)))
        arrivals[:, 0] += exp["this_week_lbs"].to_numpy(dtype=float)
        arrivals[:, -1] += exp["later_lbs"].to_numpy(dtype=float)
        past_due = exp["past_due_lbs"].to_numpy(dtype=float).copy()
        for name in exp.columns:
            m = ISO_WEEK_COLUMN.match(name)
            if not m:
                continue
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            k = (monday - first).days // 7
            values = exp[name].to_numpy(dtype=float)
            if k < 0:
                past_due += values
            else:
                arrivals[:, min(k, N_WEEKS)] += values  # the last column is "later"
        out = pd.DataFrame({"po_number": column(exp, "po_number", "string"), "yarn_id": exp["yarn_id"].astype("Int64"),
                            "supplier": column(exp, "supplier", "string"),
                            "price_per_lb": column(exp, "price_per_lb", "float64"),
                            **{label: arrivals[:, i] for i, label in enumerate(labels)}, "past_due_lbs": past_due},
                           index=exp.index)
        out["po_date"] = column(exp, "po_date", "datetime64[ns]")
        out["po_balance_lbs"] = (exp["po_balance_lbs"].to_numpy(dtype=float) if "po_balance_lbs" in exp
                                 else out[[*labels, "past_due_lbs"]].sum(axis=1).to_numpy())
        source = "expected_yarn"
    elif "yarn_po" in frames:
        po = frames["yarn_po"]
        po = po.loc[~po["status"].astype("string").str.lower().isin(["closed", "cancelled", "received"])
                    & (po["balance_lbs"] > 0)]
        out = pd.DataFrame({"po_number": column(po, "po_number", "string"), "yarn_id": po["yarn_id"].astype("Int64"),
                            "supplier": column(po, "supplier", "string"),
                            "price_per_lb": column(po, "cost_per_lb", "float64")}, index=po.index)
        out["po_date"] = column(po, "ordered_at", "datetime64[ns]")
        k = ((po["requested_date"] - pd.Timestamp(first)).dt.days // 7).to_numpy(dtype=float)
        bal = po["balance_lbs"].to_numpy(dtype=float)
        for i, label in enumerate(labels[:-1]):
            out[label] = np.where(k == i, bal, 0.0)
        out[LATER] = np.where(k >= N_WEEKS, bal, 0.0)
        out["past_due_lbs"] = np.where((k < 0) | np.isnan(k), bal, 0.0)
        out["po_balance_lbs"] = bal
        source = "yarn_po"
    else:
        raise MissingDataError("the yarn plan needs open purchase orders: upload the Expected Yarn Report "
                               "(expected_yarn) or the Yarn PO export (yarn_po) on the Data page")
    out = out.dropna(subset=["yarn_id"]).astype({"yarn_id": "int64"}).reset_index(drop=True)
    return out, source


PAST_DUE_ENV = "BK_PAST_DUE_DAYS"
DEFAULT_PAST_DUE_DAYS = 30.0


def past_due_days() -> float:
    """Days past due after which a PO's past-due pounds no longer count as arriving: ``BK_PAST_DUE_DAYS`` or 30."""
    return env_number(PAST_DUE_ENV, DEFAULT_PAST_DUE_DAYS, low=0.0, high=3650.0, example="30")


def po_key(numbers: pd.Series) -> pd.Series:
    """PO numbers compared across exports and days: stripped, upper case ('y2508014 ' = 'Y2508014')."""
    return numbers.astype("string").str.strip().str.upper()


def _requested_dates(frames: Mapping[str, pd.DataFrame], pos: pd.DataFrame) -> np.ndarray:
    """The Yarn PO's requested delivery date of each PO line (matched on PO number and yarn, else PO number),
    as datetime64[D]; NaT where that export does not say."""
    po = frames.get("yarn_po")
    if po is None or po.empty or "requested_date" not in po or "po_number" not in po:
        return np.full(len(pos), np.datetime64("NaT"), dtype="datetime64[D]")
    number = po_key(po["po_number"]).to_numpy(dtype=object, na_value="")
    yarn = po["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    dates = pd.Series(po["requested_date"].to_numpy(dtype="datetime64[ns]"))
    by_line = dates.groupby([number, yarn]).min()
    by_po = dates.groupby(number).min()
    wanted = po_key(pos["po_number"]).to_numpy(dtype=object, na_value="")
    line = by_line.reindex(pd.MultiIndex.from_arrays([wanted, pos["yarn_id"].to_numpy(dtype=float)]))
    found = line.to_numpy(dtype="datetime64[ns]")
    fallback = by_po.reindex(wanted).to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(found), fallback, found).astype("datetime64[D]")


def deliveries(pos: pd.DataFrame, frames: Mapping[str, pd.DataFrame], *, as_of: date,
               max_past_due_days: float | None = None, slip_days: Mapping[str, float] | None = None) -> pd.DataFrame:
    """What each open PO line (``open_pos``) really delivers, for the planning balance: a copy of ``pos`` with
    the bucket columns and ``past_due_lbs`` replaced, plus ``chase_lbs``, ``due_since`` and ``past_due_days``.

    - A line delivers exactly its balance: scheduled weeks above it (eFab's negative past-due figure nets its week
      view) come off the earliest weeks (the pounds already received were the first lots); balance that no week
      holds is past due or unscheduled.
    - Past-due pounds are aged from the Yarn PO's requested date (else the PO date). Past due for fewer than
      ``max_past_due_days`` (``BK_PAST_DUE_DAYS``, 30) they arrive in the as-of week (``past_due_lbs``); older,
      they are not counted as arriving (``chase_lbs``: confirm a date or close the PO). Unscheduled pounds whose
      requested date is still ahead arrive in that date's week. Without any date they count as recent.
    - ``slip_days`` (supplier key → the median days its POs slipped between earlier snapshots, from
      ``reliability.supplier_slips``): that supplier's arrivals are planned that many days (in whole weeks) later;
      ``slip_days`` column says by how much.
    """
    limit = past_due_days() if max_past_due_days is None else float(max_past_due_days)
    labels = bucket_labels(as_of)
    weeks = pos[labels].to_numpy(dtype=float).clip(min=0.0)
    balance = np.clip(pos["po_balance_lbs"].to_numpy(dtype=float), 0.0, None)
    excess = np.clip(weeks.sum(axis=1) - balance, 0.0, None)
    for k in range(weeks.shape[1]):  # the earliest scheduled lots were the ones received
        cut = np.minimum(weeks[:, k], excess)
        weeks[:, k] -= cut
        excess -= cut
    pending = np.clip(balance - weeks.sum(axis=1), 0.0, None)  # the balance no week holds: past due/unscheduled
    requested = _requested_dates(frames, pos)
    po_date = (pos["po_date"].to_numpy(dtype="datetime64[D]") if "po_date" in pos
               else np.full(len(pos), np.datetime64("NaT"), dtype="datetime64[D]"))
    since = np.where(np.isnat(requested), po_date, requested)
    known = ~np.isnat(since)
    age = np.where(known, (np.datetime64(as_of, "D") - since).astype("timedelta64[D]").astype(float), np.nan)
    ahead = known & (age < 0)
    first = np.datetime64(week_monday(as_of), "D")
    k_ahead = np.where(ahead, (since - first).astype("timedelta64[D]").astype(float) // 7, 0.0)
    k_ahead = np.clip(np.nan_to_num(k_ahead), 0, N_WEEKS).astype(int)
    np.add.at(weeks, (np.flatnonzero(ahead), k_ahead[ahead]), pending[ahead])
    pending = np.where(ahead, 0.0, pending)
    old = known & (age >= limit)
    recent = np.where(old, 0.0, pending)
    slip = np.zeros(len(pos))
    if slip_days:
        keys = supplier_terms.supplier_key(pos["supplier"]).to_numpy(dtype=object, na_value=None)
        slip = np.array([float(slip_days.get(k, 0.0)) if k is not None else 0.0 for k in keys])
        shift = np.rint(slip / 7).astype(int)
        for j in np.flatnonzero(shift > 0):  # later by whole weeks; what falls past the horizon is "later"
            moved = np.zeros(weeks.shape[1])
            moved[min(shift[j], N_WEEKS)] += recent[j]
            for k in range(weeks.shape[1]):
                moved[min(k + shift[j], N_WEEKS)] += weeks[j, k]
            weeks[j], recent[j] = moved, 0.0
    out = pos.copy()
    out[labels] = weeks
    out["past_due_lbs"] = recent
    out["chase_lbs"] = np.where(old, pending, 0.0)
    out["due_since"] = pd.to_datetime(since)
    out["past_due_days"] = np.where((pending > 0) & known, np.clip(age, 0.0, None), np.nan)
    out["slip_days"] = slip
    return out


@per_frame
def on_hand_by_yarn(inventory: pd.DataFrame) -> pd.Series:
    """Stock per yarn_id of the yarn inventory (theoretical balance, lines summed); kept per frame object."""
    return inventory.dropna(subset=["yarn_id"]).groupby("yarn_id")["theoretical_balance_lbs"].sum()


def receipts(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> tuple[pd.DataFrame, str]:
    """Open-PO receipts per yarn: one row per yarn with the 10 bucket columns and ``past_due_lbs``
    (see ``open_pos``). Returns the frame and the name of its source."""
    pos, source = open_pos(frames, as_of=as_of)
    return receipts_by_yarn(pos, as_of), source


def receipts_by_yarn(pos: pd.DataFrame, as_of: date) -> pd.DataFrame:
    cols = [*bucket_labels(as_of), "past_due_lbs"]
    return pos.groupby("yarn_id", as_index=False)[cols].sum().astype({"yarn_id": "int64"})


def yarn_terms(frames: Mapping[str, pd.DataFrame], yarn_ids: pd.Series, pos: pd.DataFrame) -> pd.DataFrame:
    """What a buyer needs to know per yarn, indexed by yarn_id: supplier, description, known_yarn (in yarn
    inventory or yarn master), cost_per_lb and price_source (yarn inventory → yarn master → the latest open PO's
    price; blank or non-positive is no price), then ``suppliers.supplier_terms`` of the supplier (inventory →
    master → PO): lead_time_days, lead_time_source, lead_time_defaulted, moq_lbs, order_multiple_lbs, terms_note."""
    ids = pd.unique(np.asarray(yarn_ids, dtype="int64"))
    on_file, known = _yarn_records(frames.get("yarn_inventory"), frames.get("yarn_master"))
    supplier, description, price = (dict(values) for values in on_file)  # the kept ones stay as they are
    latest_po = _first_by_yarn(pos.iloc[::-1], "price_per_lb")
    for target, values in zip((supplier, description), latest_po[:2], strict=True):
        for y, v in values.items():
            target.setdefault(y, v)
    for y, v in latest_po[2].items():
        price.setdefault(y, (v, "open PO"))
    index = pd.Index(ids, name="yarn_id")
    id_list = ids.tolist()
    out = pd.DataFrame({
        "supplier": pd.array([supplier.get(y) for y in id_list], dtype="string"),
        "description": pd.array([description.get(y) for y in id_list], dtype="string"),
        "known_yarn": np.array([y in known for y in id_list], dtype=bool),
        "cost_per_lb": np.array([price.get(y, (np.nan, ""))[0] for y in id_list], dtype=float),
        "price_source": pd.array([price.get(y, (np.nan, "no price"))[1] for y in id_list], dtype="string"),
    }, index=index)
    terms = supplier_terms.supplier_terms(frames, out["supplier"])
    return pd.concat([out, terms], axis=1)


def _first_by_yarn(frame: pd.DataFrame | None, price_col: str) -> tuple[dict, dict, dict]:
    """The first non-blank supplier, first non-blank description and first positive price per yarn of one
    source (rows in file order): three {yarn_id: value} dicts, empty when the source has no yarn_id."""
    found: tuple[dict, dict, dict] = ({}, {}, {})
    if frame is None or frame.empty or "yarn_id" not in frame:
        return found
    yarn = frame["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    has_id = np.isfinite(yarn)
    yarn_ids = yarn[has_id].astype("int64")

    def first(values: np.ndarray, ok: np.ndarray) -> dict:
        picked = pd.Series(values[ok], index=yarn_ids[ok])
        picked = picked[~picked.index.duplicated()]
        return dict(zip(picked.index.tolist(), picked.tolist(), strict=True))

    for column, target in (("supplier", found[0]), ("description", found[1])):
        if column in frame:
            text = frame[column].astype("string").str.strip().to_numpy(dtype=object, na_value="")[has_id]
            target.update(first(text, text != ""))
    if price_col in frame:
        cost = pd.to_numeric(frame[price_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[has_id]
        found[2].update(first(cost, np.isfinite(cost) & (cost > 0)))
    return found


@per_frame
def _yarn_records(inventory: pd.DataFrame | None, yarn_master: pd.DataFrame | None
                  ) -> tuple[tuple[dict, dict, dict], set[int]]:
    """Supplier, description and (price, source) per yarn, the yarn inventory's first then the yarn master's,
    and the yarns either knows; kept per frame objects: read what it returns, never change it."""
    supplier: dict[int, str] = {}
    description: dict[int, str] = {}
    price: dict[int, tuple[float, str]] = {}
    known: set[int] = set()
    for name, frame in (("yarn inventory", inventory), ("yarn master", yarn_master)):
        if frame is None or frame.empty or "yarn_id" not in frame:
            continue
        yarn = frame["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
        known.update(yarn[np.isfinite(yarn)].astype("int64").tolist())
        suppliers, descriptions, prices = _first_by_yarn(frame, "cost_per_lb")
        for target, values in ((supplier, suppliers), (description, descriptions)):
            for y, v in values.items():
                target.setdefault(y, v)
        for y, v in prices.items():
            price.setdefault(y, (v, name))
    return (supplier, description, price), known
