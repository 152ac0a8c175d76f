"""compact_frame: repeated text as categories when that pays in bytes, values unchanged, and kept by parsed copies."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from bk.ingest import read_export
from bk.ingest.dtypes import CATEGORY_MIN_SAVING, compact_frame
from bk.ingest.snapshot import SnapshotStore

# four distinct purchase orders in six rows (two thirds distinct), long enough that storing each once pays
PO = ["PO-2025-0000017-UNIFI", "PO-2025-0000017-UNIFI", "PO-2025-0000018-DECA", "PO-2025-0000019-FERR",
      None, "PO-2025-0000020-DECA"]
ROLLS = ["004050801", "004050802", "004050803", "004050804", "004050805", "004050806"]


def test_repeated_text_comes_back_categorical_with_the_same_values():
    frame = pd.DataFrame({"customer_po": pd.Series(PO, dtype="string"), "roll": pd.Series(ROLLS, dtype="string"),
                          "qty_lbs": [1.1, 2.0, np.nan, 0.3, 5.0, 6.5]})
    before = frame.copy()
    out = compact_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert isinstance(out["customer_po"].dtype, pd.CategoricalDtype)
    assert out["customer_po"].astype("string").equals(frame["customer_po"])  # NA included
    assert list(out["customer_po"].cat.categories) == sorted({p for p in PO if p})
    assert out["roll"].dtype == "string" and out["roll"].equals(frame["roll"])  # all distinct: codes would only add
    assert out["qty_lbs"].equals(frame["qty_lbs"])  # floats stay float64
    assert out.memory_usage(deep=True).sum() < frame.memory_usage(deep=True).sum()


def test_text_stays_text_when_the_category_saves_less_than_the_margin():
    # five distinct short codes in six rows: a category is a little smaller, not CATEGORY_MIN_SAVING smaller
    codes = pd.Series(["A1", "B2", "C3", "D4", "E5", "E5"], dtype="string")
    text_bytes = codes.memory_usage(deep=True, index=False)
    category_bytes = codes.astype("category").memory_usage(deep=True, index=False)
    assert (1 - CATEGORY_MIN_SAVING) * text_bytes < category_bytes
    assert compact_frame(pd.DataFrame({"code": codes}))["code"].dtype == "string"


def test_integers_take_the_smallest_type_holding_their_range():
    frame = pd.DataFrame({"yarn_id": pd.Series([18884, None, 739], dtype="Int64"),
                          "big": pd.Series([99999, 1, None], dtype="Int64"), "machine": [6, 567, 12]})
    out = compact_frame(frame)
    assert [str(t) for t in out.dtypes] == ["Int16", "Int32", "int16"]
    assert out["yarn_id"].astype("Int64").equals(frame["yarn_id"]) and out["big"].astype("Int64").equals(frame["big"])


KNIT_ORDERS = ("eFab_Knit_Orders.csv",
               b"Style #,Order #,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),Balance (lbs),PO#\n"
               + b"".join(f"CF{i}/1,KO-{i},1000,0,0,1000,{po or ''}\n".encode() for i, po in enumerate(PO)))


def test_a_categorical_read_from_an_export_survives_its_parsed_copy(tmp_path):
    parsed = read_export(KNIT_ORDERS[1], name=KNIT_ORDERS[0]).frame
    assert isinstance(parsed["po_number"].dtype, pd.CategoricalDtype)
    assert parsed["po_number"].astype("string").tolist() == [p if p else pd.NA for p in PO]
    store = SnapshotStore(tmp_path)
    info = store.save([KNIT_ORDERS], as_of=date(2025, 8, 28))
    assert "parsed_as" in info.files[0]
    loaded = store.load(info.snapshot_id).exports["knit_orders"].frame
    pd.testing.assert_frame_equal(loaded, parsed, check_exact=True)  # dtypes included: still categorical
