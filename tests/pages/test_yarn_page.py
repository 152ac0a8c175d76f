"""AppTest of the Yarn requirements page on the demo: the actions come first with readable labels, the switch
to the machine schedule lists the KOs whose yarn moves, forecast-driven actions show their forecast, the yarn
picker searches names and colours and follows ?yarn=, and a what-if shows before → after."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.pages.conftest import (
    Drawn,
    as_numbers,
    chart,
    charts,
    figures,
    no_exceptions,
    open_expanders,
    page,
    tables,
)
from tests.pages.readable import assert_readable, table_with

ACTION_COLUMNS = ["Order by", "Action", "Yarn", "Lbs", "Cost ($)", "Why"]


def action_table(at) -> pd.DataFrame:
    return table_with(at, "Order by", "Action", "Why")


def found_count(label: str) -> int:
    """The yarns a search found, from the picker's label 'Yarn (1,234 found…)'."""
    return int(re.search(r"\(([\d,]+) found", label).group(1).replace(",", ""))


def balance_chart(at, yarn_id: int | None = None) -> Drawn | None:
    """The projected balance chart (of ``yarn_id``, when given)."""
    return chart(at, "Projected balance of yarn" + (f" {yarn_id} by week" if yarn_id is not None else ""))


def chart_x(drawn: Drawn) -> list[str]:
    """The balance chart's x axis: its weeks as categories, in the order drawn."""
    x = next(layer["encoding"]["x"] for layer in drawn.spec["layer"] if "x" in layer["encoding"])
    assert x["type"] in ("nominal", "ordinal")
    return list(x["sort"])


def drawn_line(drawn: Drawn, starts: str) -> list[float]:
    """The lbs of the chart's series whose name starts with ``starts``, week by week in the x axis' order."""
    rows = drawn.data[drawn.data["what"].str.startswith(starts)]
    if rows["week"].isna().all():  # a horizontal line: no week
        return list(rows["lbs"])
    return list(rows.set_index("week")["lbs"].reindex(chart_x(drawn)))


def demo_plan() -> dict:
    from tests.conftest import app_plan

    return app_plan()


def panel_heading(at) -> str:
    """The evidence panel's heading: 'buy · yarn 10001 · … lbs · order by …' in bold."""
    return next(m.value for m in at.markdown if re.match(r"^\*\*(buy|chase|expedite|reconcile|defer) · yarn ", m.value))


def test_yarn_page_leads_with_the_actions_in_readable_labels():
    at = page("yarn.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Yarn requirements"
    assert at.subheader[0].value == "Actions"
    first = at.dataframe[0].value  # the first table on the page is the action list, sorted by order-by
    assert list(first.columns)[:6] == ACTION_COLUMNS and len(first) > 0
    dated = first["Order by"].dropna()
    assert list(dated) == sorted(dated)
    assert {m.label for m in figures(at)} >= {"Buy", "Buys past order-by", "Expedite", "Reconcile", "Defer",
                                            "Actions without a price", "Yarns short"}
    # the evidence is one panel under the table, never one expander per action
    assert not [e for e in at.expander if re.match(r"^(buy|chase|expedite|reconcile|defer) · ", e.label)]
    # nothing is selected on arrival: the evidence opens by selecting a row
    assert not [m for m in at.markdown if re.match(r"^\*\*(buy|chase|expedite|reconcile|defer) · yarn ", m.value)]
    assert any(i.value == "Select an action's row to see its evidence." for i in at.info)
    assert not charts(at)
    # money only where it is a spend: a PO already ordered has no cost in the list
    assert first.loc[first["Action"] != "buy", "Cost ($)"].isna().all()
    assert first.loc[first["Action"] == "buy", "Cost ($)"].notna().all()
    assert_readable(at)
    # the short yarns are the plan's planning balance below zero (oracle: the plan run here, not the page)
    plan = demo_plan()
    pb = plan["planning_balance"]
    expected = pb.loc[pb["shortage_lbs"] > 0.5].set_index("yarn_id")["shortage_lbs"]
    short = int(next(m.value for m in figures(at) if m.label == "Yarns short"))
    assert not [f for f in tables(at) if "First short week" in f.columns]  # the list of them: on demand
    open_expanders(at, "Yarns short")
    table = table_with(at, "Yarn", "Short (lbs)", "First short week").set_index("Yarn")
    assert short == len(table) == len(expected) > 0
    assert (table["Short (lbs)"] - expected.reindex(table.index)).abs().max() <= 0.5  # shown in whole lbs
    at.session_state["action_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert f"yarn {first['Yarn'].iloc[0]} " in panel_heading(at)  # the first row's evidence once selected
    drawn = balance_chart(at, int(first["Yarn"].iloc[0]))
    x = chart_x(drawn)  # the balance chart's weeks are dates, the open bucket "after <date>"
    assert set(drawn.data.loc[drawn.data["what"] == "Demand", "week"]) == set(x)
    assert len(x) == 10 and all(v.startswith("wk of ") and v.endswith(" 2025") for v in x[:9])
    assert x[-1].startswith("after ")
    assert not any("week_of" in v or v == "later" for v in x)
    assert "$" in figures(at)[0].value and "." not in figures(at)[0].value


def test_selecting_an_action_row_shows_that_actions_evidence():
    at = page("yarn.py").run()
    actions = action_table(at)
    k = int(actions.index[actions["Action"] != actions["Action"].iloc[0]][0])  # another kind than the first
    at.session_state["action_table"] = {"selection": {"rows": [k], "columns": []}}
    at.run()
    no_exceptions(at)
    yarn_id, action = int(actions["Yarn"].iloc[k]), actions["Action"].iloc[k]
    assert panel_heading(at).startswith(f"**{action} · yarn {yarn_id} ")
    plan = demo_plan()
    pos = plan["open_pos"]
    supply = table_with(at, "PO", "Open on PO (lbs)")
    assert sorted(supply["PO"]) == sorted(pos.loc[pos["yarn_id"] == yarn_id, "po_number"])
    planning = drawn_line(balance_chart(at, yarn_id), "Planning balance")
    balance = plan["projected_balance"]
    assert planning == pytest.approx(list(balance.loc[balance["yarn_id"] == yarn_id, "planning_balance_lbs"]))
    assert_readable(at)


def test_the_page_opens_on_the_observed_pace_and_stalled_kos_are_flagged():
    at = page("yarn.py").run()
    no_exceptions(at)
    assert at.segmented_control(key="knitting").value == "observed pace"
    assert any("are stalled" in w.value for w in at.warning)  # the demo has KOs started weeks ago, nothing knitted
    assert not any("moves by a week" in m.value for m in at.markdown)  # the comparison runs only when opened
    open_expanders(at, "Observed pace against eFab's rule")
    no_exceptions(at)
    header = next(m.value for m in at.markdown if m.value.startswith("**KOs whose yarn moves by a week or more**"))
    if not header.endswith("(0)"):  # the other schedule's column names observed pace, never the machine schedule
        table_with(at, "Knit order", "Yarn drawn from, eFab rule", "Yarn drawn from, observed pace")
        assert not any("Yarn drawn from, machine schedule" in f.columns for f in tables(at))
    assert {m.label for m in figures(at)} >= {"Chase"}
    at.segmented_control(key="knitting").set_value("eFab rule").run()
    assert not any("moves by a week" in m.value for m in at.markdown)


def test_machine_schedule_lists_the_kos_whose_yarn_moves():
    at = page("yarn.py").run()
    at.segmented_control(key="knitting").set_value("machine schedule").run()
    open_expanders(at, "Machine schedule against eFab's rule")
    no_exceptions(at)
    header = next(m.value for m in at.markdown if m.value.startswith("**KOs whose yarn moves by a week or more**"))
    moves = table_with(at, "Knit order", "Moved by (weeks)", "Yarn drawn from, machine schedule")
    assert header.endswith(f"({len(moves)})") and len(moves) > 0
    assert (moves["Moved by (weeks)"].abs() >= 1).all()
    assert any(m.value.startswith("**Shortages that appear with the machine schedule**") for m in at.markdown)
    assert any(m.value.startswith("**Shortages that vanish with the machine schedule**") for m in at.markdown)
    assert_readable(at)


def test_forecast_driven_actions_are_marked_and_show_their_forecast():
    at = page("yarn.py").run()
    at.toggle(key="with_forecast").set_value(True).run()
    no_exceptions(at)
    actions = action_table(at)
    assert actions["From forecast"].any()
    k = int(actions.index[actions["From forecast"]][0])
    at.session_state["action_table"] = {"selection": {"rows": [k], "columns": []}}
    at.run()
    no_exceptions(at)
    assert panel_heading(at).endswith("· from forecast**")
    forecast = table_with(at, "Series", "Model", "Knitted in")
    assert len(forecast) > 0
    assert_readable(at)


def test_yarn_picker_searches_colour_and_follows_the_deep_link():
    at = page("yarn.py").run()
    assert not [sb for sb in at.selectbox if sb.key == "yarn_pick"]  # any yarn's balance: on demand
    open_expanders(at, "Projected balance of any yarn")
    box = at.selectbox(key="yarn_pick")
    options, total = box.options, found_count(box.label)
    assert total > 10 and len(options) == min(total, 100)  # a long list is cut: typing narrows it
    assert ("first 100 listed" in box.label) == (total > 100)
    colour = options[-1].split(" · ")[-1].removesuffix(" (action)")  # "id · description · supplier · colour"
    at.text_input(key="yarn_search").set_value(colour.lower()).run()
    no_exceptions(at)
    box = at.selectbox(key="yarn_pick")
    found = box.options
    assert 0 < found_count(box.label) < total and all(colour.lower() in o.lower() for o in found)
    at.text_input(key="yarn_search").set_value("no such yarn anywhere").run()
    assert any("No yarn of the plan matches" in i.value for i in at.info)
    at.text_input(key="yarn_search").set_value("![x](https://evil.example/p.png) **loud**").run()
    shown = [i.value for i in at.info if "No yarn of the plan matches" in i.value]
    assert shown and r"\!\[x\]\(https\:" in shown[0] and r"\*\*loud\*\*" in shown[0]  # echoed as written

    actions = action_table(at)
    target = int(actions["Yarn"].iloc[len(actions) // 2])  # a yarn with an action, not the first one
    linked = page("yarn.py")
    linked.query_params["yarn"] = str(target)
    linked.run()
    no_exceptions(linked)
    assert f" · yarn {target} " in panel_heading(linked)  # its action selected: its evidence under the table
    assert not [sb for sb in linked.selectbox if sb.key == "yarn_pick"]  # its balance is in the evidence

    without = sorted(set(demo_plan()["projected_balance"]["yarn_id"]) - set(actions["Yarn"]))[0]
    linked = page("yarn.py")
    linked.query_params["yarn"] = str(without)
    linked.run()
    no_exceptions(linked)  # a yarn without an action: the picker opens on it, its balance drawn
    assert linked.selectbox(key="yarn_pick").value == without
    assert balance_chart(linked, without) is not None


def test_what_if_styles_come_from_the_bom_and_show_before_and_after():
    at = page("yarn.py").run()
    assert not [sb for sb in at.selectbox if sb.label == "Greige style"]  # thousands of styles: only when open
    open_expanders(at, "Add a what-if knit order")
    at.text_input(key="what_if_typed").set_value("QQ9999").run()
    no_exceptions(at)
    assert any("No style with a BOM is near" in e.value for e in at.error)
    assert not [sb for sb in at.selectbox if sb.label == "Greige style"]  # refused, never "Add: QQ9999"
    at.text_input(key="what_if_typed").set_value("").run()
    style = next(sb for sb in at.selectbox if sb.label == "Greige style").options[0]
    base = style.split("/")[0]
    at.text_input(key="what_if_typed").set_value(base.lower()).run()  # the base, lower case: its versions
    style_box = next(sb for sb in at.selectbox if sb.label == "Greige style")
    assert style in style_box.options and all(o.startswith(base + "/") for o in style_box.options)
    assert style_box.value == style_box.options[0]
    before_lbs = action_table(at)["Lbs"].sum()
    before_buy = figures(at)[0].value
    at.number_input(key="what_if_lbs").set_value(200_000.0)
    next(b for b in at.button if b.label == "Add what-if order").click()
    at.run()
    no_exceptions(at)
    assert any("what-if" in w.value for w in at.warning)
    assert figures(at)[0].value != before_buy and action_table(at)["Lbs"].sum() > before_lbs
    change = {m.label: m.value for m in figures(at) if "before → after" in m.label}
    assert set(change) == {"Yarns to buy: before → after", "Buy (lbs): before → after",
                           "Buy ($): before → after"}
    b, a = change["Buy (lbs): before → after"].split(" → ")
    assert float(a.removesuffix(" lbs").replace(",", "")) > float(b.removesuffix(" lbs").replace(",", ""))
    yarns = table_with(at, "Yarn", "Change (lbs)", "Buy before (lbs)", "Buy after (lbs)")
    moved, before, after = (as_numbers(yarns[c]) for c in ("Change (lbs)", "Buy before (lbs)", "Buy after (lbs)"))
    assert len(yarns) > 0 and (moved > 0).all()
    assert (after - before - moved).abs().max() <= 1
    assert_readable(at)


def test_the_plans_dated_later_bucket_is_still_after_the_last_week():
    from ui.format import bucket_labels

    # yarn.plan dates 'later' by the Monday after the last week (27 Oct): it is labelled "after 26 Oct 2025"
    buckets = pd.DataFrame({"bucket": ["week_of_2025-10-13", "week_of_2025-10-20", "later"],
                            "bucket_start": pd.to_datetime(["2025-10-13", "2025-10-20", "2025-10-27"])})
    assert bucket_labels(buckets) == {"week_of_2025-10-13": "wk of 13 Oct 2025",
                                      "week_of_2025-10-20": "wk of 20 Oct 2025", "later": "after 26 Oct 2025"}


def test_with_the_forecast_the_chart_draws_the_yarns_safety_stock_and_reorder_point():
    from bk.ingest.snapshot import load_paths
    from bk.services.forecast_yarn import safety_stock_view
    from tests.conftest import DEMO

    demo, _ = load_paths([DEMO])
    ss = safety_stock_view(demo.frames, as_of=demo.as_of)["safety_stock"].set_index("yarn_id")
    at = page("yarn.py").run()
    at.toggle(key="with_forecast").set_value(True).run()
    open_expanders(at, "Projected balance of any yarn")
    picker = at.selectbox(key="yarn_pick")
    yarn_id = next(int(o.split(" · ")[0]) for o in picker.options if int(o.split(" · ")[0]) in ss.index)
    picker.set_value(yarn_id).run()
    no_exceptions(at)
    drawn = balance_chart(at, yarn_id)  # the picker's: no action is selected
    assert [c.description for c in charts(at)] == [drawn.description]
    safety = drawn_line(drawn, "Safety stock (forecast error)")
    reorder = drawn_line(drawn, "Reorder point")
    assert safety == [ss.loc[yarn_id, "safety_stock_lbs"]] and reorder == [ss.loc[yarn_id, "reorder_point_lbs"]]
    # each named with its value
    assert f"Safety stock (forecast error) {ss.loc[yarn_id, 'safety_stock_lbs']:,.0f} lbs" in set(drawn.data["what"])
    assert reorder[0] >= safety[0] > 0  # the reorder point adds the lead-time demand to the safety stock
    assert any("Safety stock = z·σ·√L" in c.value for c in at.caption)
