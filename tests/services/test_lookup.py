"""bk.services.lookup: yarn search by id, description, supplier and colour; style matching for the what-if box."""

from __future__ import annotations

import pandas as pd
import pytest

from bk.services.lookup import match_styles, search_yarns

YARNS = pd.DataFrame({
    "yarn_id": [18868, 19003, 12345, 10002],
    "description": ["1/150/34 Kevlar Natural", "2/70/34 Nylon Semi Dull", "1/100 Polyester Black", "30/1 Cotton"],
    "supplier": ["DUPONT", "UNIFI", "UNIFI", "PARKDALE"],
    "color": ["Natural", "Black", "Black", "White"],
})
STYLES = ["DFF446J/0", "DFF446J/1", "DFF4461/0", "CF5049N/0", "125792/1", "125792/2", "C1B4014-1"]


@pytest.mark.parametrize("query, ids", [
    ("kevlar", [18868]),            # description (was: ids only, 'Kevlar' found nothing)
    ("Kevlar", [18868]),
    ("unifi", [19003, 12345]),      # supplier
    ("black", [19003, 12345]),      # colour (19003 is 'Black' in colour only)
    ("unifi polyester", [12345]),   # every word must match
    ("1900", [19003]),              # id
    ("", [18868, 19003, 12345, 10002]),
    ("acrylic", []),
])
def test_search_yarns(query, ids):
    before = YARNS.copy()
    assert list(search_yarns(YARNS, query)["yarn_id"]) == ids
    pd.testing.assert_frame_equal(YARNS, before)


def test_search_needs_a_searchable_column():
    with pytest.raises(ValueError, match="description"):
        search_yarns(pd.DataFrame({"x": [1]}), "a")


@pytest.mark.parametrize("query, expected", [
    ("DFF446J", ["DFF446J/0", "DFF446J/1"]),                   # base without version: its versions
    (" dff446j/1 ", ["DFF446J/1", "DFF446J/0"]),               # exact ignoring case and spaces, then siblings
    ("125792 / 2", ["125792/2", "125792/1"]),
    ("DFF446", ["DFF446J/0", "DFF446J/1", "DFF4461/0"]),      # a letter missing: close bases
    ("C1B4014-1", ["C1B4014-1"]),
    ("ZZZ999", []),                                          # nothing near: refuse, do not add
    ("", []),
])
def test_match_styles(query, expected):
    assert match_styles(query, STYLES) == expected


def test_match_styles_limit():
    assert match_styles("DFF446", STYLES, limit=2) == ["DFF446J/0", "DFF446J/1"]
