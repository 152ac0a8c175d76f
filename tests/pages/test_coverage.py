"""ui.coverage: which page needs the snapshot lacks, master data inherited from earlier snapshots excluded."""

from __future__ import annotations

from datetime import date

from ui.coverage import inherited_kinds, limited_pages, missing_exports

FULL_YARN = ["yarn_inventory", "knit_orders", "bom", "yarn_po", "style_rates", "suppliers", "yarn_demand"]


def test_alternatives_serve_a_need_and_required_needs_come_first():
    missing = missing_exports(FULL_YARN + ["machines"], as_of=date(2025, 8, 28))
    yarn = missing[missing["page"] == "Yarn requirements"]
    assert yarn.empty  # yarn_po stands in for expected_yarn, yarn_demand for the by-KO report
    assert list(missing["required"]) == sorted(missing["required"], reverse=True)
    assert limited_pages(missing) == ["Fabric pipeline", "Sales forecast"]
    capacity = missing[missing["page"] == "Knitting capacity"]
    assert list(capacity["export"]) == ["Greige fabric list (QuadS)"]


def test_master_data_from_an_earlier_snapshot_is_not_missing_but_a_later_one_does_not_count():
    earlier = [("21 Aug 2025 · aaaaaa", date(2025, 8, 21), ["machines", "bom", "knit_orders"]),
               ("4 Sep 2025 · bbbbbb", date(2025, 9, 4), ["sales_activity"])]
    kinds = ["yarn_inventory", "knit_orders"]
    missing = missing_exports(kinds, as_of=date(2025, 8, 28), earlier=earlier)
    assert "Bill of materials" not in set(missing["export"])        # master: inherited from 21 Aug
    assert "Machines" not in set(missing["export"])
    assert "Sales activity (invoice lines)" in set(missing["export"])  # not master, and later anyway
    assert inherited_kinds(kinds, as_of=date(2025, 8, 28), earlier=earlier) == {
        "machines": "21 Aug 2025 · aaaaaa", "bom": "21 Aug 2025 · aaaaaa"}
    # without the earlier snapshot the BOM is missing and Yarn requirements cannot open
    alone = missing_exports(kinds, as_of=date(2025, 8, 28))
    assert "Yarn requirements" in limited_pages(alone)
