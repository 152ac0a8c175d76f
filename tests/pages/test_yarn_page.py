"""AppTest of the Yarn requirements page on the demo and on the real snapshot: the actions come first, each
expands to its evidence; what-if changes the plan; the eFab-view chart and the reconciliation stay."""

from __future__ import annotations

from tests.pages.conftest import no_exceptions, page


def action_table(at):
    return next(df.value for df in at.dataframe if {"order_by", "action", "reason"} <= set(df.value.columns))


def test_yarn_page_leads_with_the_actions_and_what_if_changes_them():
    at = page("yarn.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Yarn requirements"
    assert at.subheader[0].value == "Actions"
    first = at.dataframe[0].value  # the first table on the page is the action list, sorted by order-by
    assert {"order_by", "action", "yarn_id", "lbs", "reason"} <= set(first.columns) and len(first) > 0
    dated = first["order_by"].dropna()
    assert list(dated) == sorted(dated)
    labels = [e.label for e in at.expander]
    assert any(label.startswith(("buy ·", "expedite ·")) for label in labels)
    assert {m.label for m in at.metric} >= {"Buy", "Expedite", "Reconcile", "Defer", "Actions without a price"}
    at.selectbox(key="yarn_pick")  # the eFab-view balance chart's yarn picker stays
    before = at.metric[0].value
    style_box = next(sb for sb in at.selectbox if sb.label == "Greige style")
    style_box.set_value(style_box.options[0])  # a demo BOM style: add a big what-if order for it
    at.number_input[0].set_value(200_000.0)
    next(b for b in at.button if b.label == "Add what-if order").click()
    at.run()
    no_exceptions(at)
    assert any("what-if" in w.value for w in at.warning)
    assert at.metric[0].value != before  # more to buy
    assert action_table(at)["lbs"].sum() > first["lbs"].sum()


def test_yarn_page_on_the_real_snapshot_shows_actions_evidence_and_reconciliation(real_dir, isolated_store):
    from bk.ingest.snapshot import SnapshotStore

    files = [(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())]
    SnapshotStore(isolated_store).save(files)
    at = page("yarn.py").run()
    no_exceptions(at)
    actions = action_table(at)
    assert "Y2507009" in set(actions["po_number"].dropna())  # yarn 18870: expedite the PO, not a new buy
    assert not ((actions["yarn_id"] == 18870) & (actions["action"] == "buy")).any()
    evidence = [e for e in at.expander if e.label.startswith("expedite · yarn 18870")]
    assert evidence and any("bom_source" in df.value.columns for df in evidence[0].dataframe)
    labels = [m.label for m in at.metric]
    assert "KO × yarn rows reproduced" in labels and "Receipt cells equal to eFab" in labels
