"""The supplier list's lead time against the suppliers' own PO history (issue 23 item 5)."""

import numpy as np
import pandas as pd

from bk.services import suppliers


def frames(supplier_rows, po_rows):
    listed = pd.DataFrame(supplier_rows, columns=["supplier", "lead_time_days", "moq_lbs", "order_multiple_lbs",
                                                  "retired"])
    po = pd.DataFrame(po_rows, columns=["supplier", "ordered_at", "requested_date"])
    return {"suppliers": listed.astype({"supplier": "string"}),
            "yarn_po": po.assign(ordered_at=pd.to_datetime(po["ordered_at"]),
                                 requested_date=pd.to_datetime(po["requested_date"]))}


# SLOW lists 10 days, its POs took 70, 75, 80 (median 75): disagree; NEAR lists 30, POs took 40, 40, 50 (40):
# within half; FEW lists 5, two POs of 60: too few to judge
F = frames([("SLOW", 10.0, 1000.0, np.nan, False), ("NEAR", 30.0, 1000.0, np.nan, False),
            ("FEW", 5.0, 1000.0, np.nan, False)],
           [("Slow", "2025-01-01", "2025-03-12"), ("SLOW", "2025-01-01", "2025-03-17"),
            ("slow ", "2025-01-01", "2025-03-22"), ("Near", "2025-01-01", "2025-02-10"),
            ("Near", "2025-01-01", "2025-02-10"), ("Near", "2025-01-01", "2025-02-20"),
            ("Few", "2025-01-01", "2025-03-02"), ("Few", "2025-01-01", "2025-03-02")])


def test_observed_lead_time_wins_where_the_list_disagrees_by_more_than_half():
    terms = suppliers.supplier_terms(F, pd.Series(["Slow", "Near", "Few"], dtype="string"))
    assert terms["lead_time_days"].tolist() == [75.0, 30.0, 5.0]
    assert terms["lead_time_source"].tolist() == [
        "median observed PO lead time (3 POs: 75 days); the supplier list's 10 days disagree by more than half",
        "supplier list", "supplier list"]


def test_each_disagreement_is_a_finding_naming_both():
    found = suppliers.lead_time_findings(F)
    assert found[["supplier", "listed_days", "observed_days", "pos"]].to_dict("records") == [
        {"supplier": "SLOW", "listed_days": 10.0, "observed_days": 75.0, "pos": 3}]
    assert "says 10 days" in found.loc[0, "message"] and "median 75 days" in found.loc[0, "message"]


def test_no_findings_without_a_supplier_list():
    assert suppliers.lead_time_findings({"yarn_po": F["yarn_po"]}).empty
