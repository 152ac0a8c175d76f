"""Fabric pipeline: what sits in each stage, how old it is, and which sales orders it covers."""

import pandas as pd
import streamlit as st

from bk.errors import BkError
from ui import charts, services, state
from ui.charts import LBS, Chart, colours
from ui.format import fmt_lbs, fmt_pct, plain
from ui.shell import require_shell
from ui.table import show_table
from ui.widgets import Figure, figures, lazy_expander, lazy_tabs

# age buckets of the pipeline service, youngest first, coloured from calm to alarming
AGE_COLOURS = {"0–30 d": "#9ecae1", "31–90 d": "#4292c6", "91–180 d": "#fdae6b", "181–365 d": "#e6550d",
               ">365 d": "#a50f15"}

require_shell()

st.title("Fabric pipeline")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
aging_days = st.number_input("Aging threshold (days)", min_value=7, max_value=2000, value=90, step=30)
try:
    wip = services.run("pipeline.wip", snapshot, aging_days=int(aging_days))
except BkError as exc:
    st.error(plain(exc))
    st.stop()

stages = wip["stages"]
figures([Figure(f"{row.stage} · {row.label}", fmt_lbs(row.lbs), f"{row.rolls:,} rolls, {row.styles:,} styles; "
                f"{row.aged_rolls:,} rolls older than {int(aging_days)} days") for row in stages.itertuples()])
st.caption("Lbs at each stage, from the knitting machines to the warehouse (each figure's help: its rolls, styles "
           "and aged rolls)")


def age_chart(ages: pd.DataFrame) -> Chart:
    """Lbs of each stage stacked by the age of its rolls (one row per stage and age), youngest at the bottom;
    stages in the pipeline's order."""
    order = [a for a in AGE_COLOURS if a in set(ages["age"])] + sorted(set(ages["age"]) - set(AGE_COLOURS))
    rows = ages[["stage", "age", "lbs"]].assign(stacked=ages["age"].map({a: i for i, a in enumerate(order)}))
    spec = {"description": "Lbs by age of the roll in each stage", "title": "Lbs by age of the roll", "height": 360,
            "mark": {"type": "bar"},
            "encoding": {
                "x": {"field": "stage", "type": "nominal", "sort": list(dict.fromkeys(ages["stage"])),
                      "axis": {"labelAngle": 0}, "title": "stage"},
                "y": {"field": "lbs", "type": "quantitative", "axis": {"format": LBS}, "title": "lbs"},
                "color": {"field": "age", "type": "nominal", "title": "age",
                          **colours({a: AGE_COLOURS.get(a, "#7f7f7f") for a in order})},
                "order": {"field": "stacked", "type": "quantitative"},
                "tooltip": [{"field": "stage"}, {"field": "age"},
                            {"field": "lbs", "type": "quantitative", "format": LBS}]}}
    return Chart(rows, spec)


def age_tab() -> None:
    charts.show(services.derived("pipeline.ages", snapshot, lambda: age_chart(wip["ages"]), sources=(wip,)),
                key="pipe_ages")
    rolls = wip["aged_roll_list"]
    st.markdown(f"**Rolls older than {int(aging_days)} days: {len(rolls):,} rolls, "
                f"{fmt_lbs(rolls['lbs'].sum())}**")
    st.caption(wip["summary"]["value_note"])
    # the rolls themselves on demand, as the other pages' lists behind their counts: a long grid costs 0.03-0.05 s
    # of drawing on every visit of the page
    listed = lazy_expander("The rolls, oldest first", key="pipe_aged_rolls")
    if listed is not None:
        with listed:
            show_table(rolls, "aged_rolls", key="aged-rolls", download="aged_rolls")
    by_stage = lazy_expander("Aged rolls by stage", key="pipe_aged_by_stage")
    if by_stage is not None:
        with by_stage:
            show_table(wip["aged_rolls"], key="aged-by-stage", search=False)


def who_tab() -> None:
    left, right = st.columns(2)
    with left:
        show_table(wip["by_customer"], "by_customer", key="by-customer", download="pipeline_by_customer")
    with right:
        show_table(wip["by_processor"], "by_processor", key="by-processor", download="pipeline_by_processor")


def sales_order_tab() -> None:
    try:
        netting = services.run("pipeline.netting", snapshot)
    except BkError as exc:
        st.error(plain(exc))
    else:
        s = netting["summary"]
        figures([Figure("Open sales orders", s["open_so_count"]),
                 Figure("Balance", f"{s['so_balance_yds']:,.0f} yds"),
                 Figure("Uncovered", f"{s['so_uncovered_yds']:,.0f} yds", f"{fmt_pct(100 - s['coverage_pct'])} of the "
                        "balance"),
                 Figure("Not nettable (unit)", s["not_nettable"])])
        st.caption("Orders are served earliest quoted date first from F01, I01, G02, G00, then open knit orders; "
                   "each roll and KO counts once. Lbs convert with the style's own yds/lb from F01/I01 rolls, "
                   "else the median of all styles (noted). Orders on hold are listed last.")
        show_table(netting["orders"], "sales_order_coverage", key="so-coverage", download="sales_order_coverage")


TABS = {"Age": age_tab, "Customers and processors": who_tab, "Sales-order coverage": sales_order_tab}
lazy_tabs(TABS, key="pipe_tab")
