"""HeapFreezer: survivors of a run move to gc's permanent generation; a thaw lets the next collection reclaim
garbage cycles among them."""

import gc
import weakref

import pytest

from bk.optimization.memory import HeapFreezer


class _Node:
    pass


@pytest.fixture(autouse=True)
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


def _cycle() -> weakref.ref:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_a_collection_after_freezing_walks_only_new_objects():
    clock = [0.0]
    freezer = HeapFreezer(rescan_every_s=300, clock=lambda: clock[0])
    old = _cycle()  # alive when frozen, dropped afterwards: a frozen garbage cycle
    assert freezer.between_runs() == "froze"
    assert gc.get_freeze_count() > 0
    new = _cycle()  # made by "this run": still collected
    gc.collect()
    assert new() is None
    assert old() is not None  # frozen: collections skip it until the next thaw


def test_the_rescan_period_thaws_and_the_next_collection_reclaims_frozen_cycles():
    clock = [0.0]
    freezer = HeapFreezer(rescan_every_s=300, clock=lambda: clock[0])
    old = _cycle()
    freezer.between_runs()
    clock[0] = 299.0
    assert freezer.between_runs() == "froze"  # not yet: survivors of the later runs join the frozen set
    gc.collect()
    assert old() is not None
    clock[0] = 300.0
    assert freezer.between_runs() == "thawed"
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old() is None
    assert freezer.between_runs() == "froze"  # and the period starts again
    clock[0] = 599.0
    assert freezer.between_runs() == "froze"
