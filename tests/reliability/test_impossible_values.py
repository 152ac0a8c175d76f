"""Attack 3 (impossible values): far dates, negative dates and absurd numbers in any column become findings
naming file, row and column with the cell left blank, and no service raises anything but a BkError on them."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bk.errors import BkError
from bk.ingest import read_export
from bk.ingest.cleaning import parse_dates, plausible_limit, plausible_range
from bk.ingest.snapshot import Snapshot, parse_files
from bk.optimization.manager import DEFAULT_VIEWS, operations
from tests.conftest import DEMO_FIRST as DEMO

AS_OF = date(2025, 8, 28)
EXTREMES = ["1e11", "-1e11", "1e308", "-1e308", "99999999999999999999", "9999999", "-9999999", "0", "-5",
            "12/31/9999", "1/1/1677", "1/1/0001", "1/1/1900", "12/31/2100", "", "NaN", "inf", "abc",
            "2147483648", "-0.000001", "1e-300"]
KNIT_ORDERS = (b"Style #,Order #,Start Date,Quoted Date,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),"
               b"Balance (lbs),Seconds (lbs),BKI #s,Machine,PO#,Modified\n")


def test_dates_outside_1900_to_2100_are_bad_cells_not_crashes():
    dates, bad = parse_dates(pd.Series(["12/31/9999", "1/1/1677", "-5", "8/28/2025", "Never", "2262-04-12",
                                        "0001-01-01T00:00:00Z", "1/1/1900", "12/31/2100"]))
    assert bad.tolist() == [True, True, True, False, False, True, True, False, False]
    assert dates.isna().tolist() == [True, True, True, False, True, True, True, False, False]
    assert str(dates.dtype) == "datetime64[ns]"


def test_an_impossible_date_in_any_date_column_is_a_finding_and_blank():
    row = b'CF5506/0,K2508091,12/31/9999,1/1/1677,"1,200.0",,,"1,200.0",,,83,,-5\n'
    export = read_export(KNIT_ORDERS + row + b"CF5506/1,K2508092,8/29/2025,,10,,,10,,,83,,8/28/2025\n",
                         name="eFab_Knit_Orders.csv")
    by_column = {f.column: f for f in export.findings if f.row == 2}
    assert set(by_column) == {"Start Date", "Quoted Date", "Modified"}
    assert by_column["Start Date"].message == ("'12/31/9999' is not a date between 1900-01-01 and 2100-12-31; "
                                               "left blank")
    assert all(f.file == "eFab_Knit_Orders.csv" for f in by_column.values())
    first = export.frame.iloc[0]
    assert pd.isna(first["start_date"]) and pd.isna(first["quoted_date"]) and pd.isna(first["modified_date"])
    assert export.frame.iloc[1]["start_date"] == pd.Timestamp("2025-08-29")


def test_absurd_numbers_are_findings_and_blank():
    suppliers = read_export(b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n1,AKRA,1e11,2500,Import\n"
                            b"2,DECA,14,2500,Import\n", name="Supplier_ID.csv")
    (finding,) = [f for f in suppliers.findings if f.column == "Lead_time"]
    assert (finding.row, finding.severity) == (2, "warning")
    assert finding.message == "1e+11 is outside the plausible range (0 to 3650); left blank"
    assert pd.isna(suppliers.frame["lead_time_days"].iloc[0]) and suppliers.frame["lead_time_days"].iloc[1] == 14
    negative = read_export(b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n1,AKRA,-5,2500,Import\n", name="s.csv")
    assert [(f.row, f.column) for f in negative.findings] == [(2, "Lead_time")]
    assert negative.frame["lead_time_days"].isna().all()
    kos = read_export(KNIT_ORDERS + b'CF5506/0,K1,8/29/2025,,10,,,1e11,,,83,,8/28/2025\n'
                      + b'CF5506/0,K2,8/29/2025,,10,,,-2e7,,,83,,8/28/2025\n', name="kos.csv")
    assert [(f.row, f.column) for f in kos.findings if "plausible" in f.message] == [(2, "Balance (lbs)"),
                                                                                     (3, "Balance (lbs)")]
    assert kos.frame["balance_lbs"].isna().tolist() == [True, True]


def test_plausible_limits_by_unit():
    assert [plausible_limit(c) for c in ["lead_time_days", "balance_lbs", "lbs_per_day", "cost_per_lb",
                                         "total_usd", "week_2025_36_lbs", "percentage"]] == \
        [3650, 1e7, 1e5, 1e4, 1e9, 1e7, 1e12]
    assert plausible_range("lead_time_days") == (0, 3650) and plausible_range("balance_lbs") == (-1e7, 1e7)


def test_real_exports_have_one_out_of_range_cell(real_snapshot):
    # the one real typo: a cuttable width of 88,202 inches (2.2 km) next to widths of 60-120 inches
    out = [(f.file, f.row, f.column, f.message) for f in real_snapshot.findings
           if "plausible range" in f.message or "between 1900-01-01" in f.message]
    assert out == [("QuadS_finishedFabricList.csv", 228, "cuttable_width",
                    "88202 is outside the plausible range (-10000 to 10000); left blank")]


# ------------------------------------------------------------------ every service on hostile demo files


def _small(path: Path) -> bytes:
    """The demo export cut to 40 data rows (xlsx as CSV: files are recognised by header, not format)."""
    if path.suffix == ".xlsx":
        rows = pd.read_excel(path, header=None, dtype=str, engine="openpyxl").head(41).fillna("")
        return rows.to_csv(index=False, header=False).encode()
    data = path.read_bytes()
    if data.lstrip().startswith(b"["):
        return json.dumps(json.loads(data)[:40]).encode()
    return b"".join(data.splitlines(keepends=True)[:41])


@cache
def _base() -> tuple[dict[str, bytes], dict]:
    files = {p.name: _small(p) for p in sorted(DEMO.iterdir()) if p.suffix in (".csv", ".xlsx")}
    exports, failures = parse_files(list(files.items()))
    assert not failures, failures
    return files, exports


def _mutate(data: bytes, row: int, column: int, value: str) -> bytes:
    if data.lstrip().startswith(b"["):
        records = json.loads(data)
        record = records[row % len(records)]
        key = sorted(record)[column % len(record)]
        record[key] = value
        return json.dumps(records).encode()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    body = rows[1:]
    target = body[row % len(body)]
    target[column % len(target)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def _run_every_service(files: dict[str, bytes]) -> list[str]:
    _, base = _base()
    exports = dict(base)
    for name, data in files.items():
        export = read_export(data, name=name)  # a hostile cell is a finding, never an exception
        exports[export.kind] = export
    snapshot = Snapshot(exports, AS_OF, "given")
    ops = operations()
    ran = []
    for operation, params in [*DEFAULT_VIEWS, ("yarn.reconcile", {})]:
        try:
            ops[operation](snapshot.frames, as_of=AS_OF, **params)
        except BkError:
            pass  # a refusal with a message is an answer
        ran.append(operation)
    return ran


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(sorted(_base()[0])), st.integers(0, 39), st.integers(0, 40),
                          st.sampled_from(EXTREMES)), min_size=1, max_size=4))
def test_extreme_cells_reach_every_service_without_a_crash(mutations):
    files, _ = _base()
    changed: dict[str, bytes] = {}
    for name, row, column, value in mutations:
        changed[name] = _mutate(changed.get(name, files[name]), row, column, value)
    assert len(_run_every_service(changed)) == len(DEFAULT_VIEWS) + 1


@pytest.mark.parametrize("value", ["1e11", "12/31/9999", "1/1/1677", "-5"])
def test_the_reported_values_in_whole_columns_reach_every_service(value):
    # the cases, in every row at once: KO dates and balances, PO dates, SO ship dates, lead times
    files, _ = _base()
    targets = {"eFab_Knit_Orders.csv": ["Start Date", "Quoted Date", "Balance (lbs)", "Modified"],
               "Supplier_ID.csv": ["Lead_time"], "eFab_SO_List.csv": ["Ship Date", "Balance"]}
    changed = {}
    for name, headers in targets.items():
        data = files[name]
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        for column in [header.index(h) for h in headers if h in header]:
            for row in range(40):
                data = _mutate(data, row, column, value)
        changed[name] = data
    kos = read_export(changed["eFab_Knit_Orders.csv"], name="eFab_Knit_Orders.csv")
    assert {f.column for f in kos.findings if value in f.message or "plausible" in f.message} >= (
        {"Balance (lbs)"} if value == "1e11" else {"Start Date", "Quoted Date", "Modified"})
    assert _run_every_service(changed) == [op for op, _ in DEFAULT_VIEWS] + ["yarn.reconcile"]
