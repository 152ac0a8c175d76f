"""AppTest of the Yarn requirements page on the demo and on the real snapshot; what-if changes the table."""

from __future__ import annotations

from tests.pages.conftest import no_exceptions, page


def shortage_table(at):
    return next(df.value for df in at.dataframe if "suggested_order_lbs" in df.value.columns)


def test_yarn_page_on_the_demo_and_what_if_changes_the_shortages():
    at = page("yarn.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Yarn requirements"
    before = shortage_table(at)
    assert len(before) > 0 and {"first_shortage_week", "order_by", "expedite"} <= set(before.columns)
    at.selectbox(key="yarn_pick")  # the chart's yarn picker exists
    style_box = next(sb for sb in at.selectbox if sb.label == "Greige style")
    style_box.set_value(style_box.options[0])  # a demo BOM style: add a big what-if order for it
    at.number_input[0].set_value(200_000.0)
    at.button[0].click()  # the form's submit button
    at.run()
    no_exceptions(at)
    after = shortage_table(at)
    assert any("what-if" in w.value for w in at.warning)
    assert after["shortage_lbs"].sum() > before["shortage_lbs"].sum()


def test_yarn_page_on_the_real_snapshot_shows_the_reconciliation(real_dir, isolated_store):
    from bk.ingest.snapshot import SnapshotStore

    files = [(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())]
    SnapshotStore(isolated_store).save(files)
    at = page("yarn.py").run()
    no_exceptions(at)
    assert len(shortage_table(at)) > 0
    labels = [m.label for m in at.metric]
    assert "KO × yarn rows reproduced" in labels and "Receipt cells equal to eFab" in labels
