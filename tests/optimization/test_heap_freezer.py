"""HeapFreezer: once old objects are many, survivors move to gc's permanent generation; a few (a closed browser
session's) stay collectable; a thaw lets the next collection reclaim garbage cycles among the frozen."""

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


def _freezer(clock: list, old: list) -> HeapFreezer:
    return HeapFreezer(rescan_every_s=300, freeze_from=1000, clock=lambda: clock[0], old_objects=lambda: old[0])


def test_many_old_objects_are_frozen_and_collections_skip_them():
    clock, old = [0.0], [1000]
    freezer = _freezer(clock, old)
    frozen = _cycle()  # alive when frozen, dropped afterwards: a frozen garbage cycle
    assert freezer.between_runs() == "froze"
    assert gc.get_freeze_count() > 0
    new = _cycle()  # made by "this run": still collected
    gc.collect()
    assert new() is None
    assert frozen() is not None  # frozen: collections skip it until the next thaw


def test_a_few_old_objects_stay_collectable():
    clock, old = [0.0], [999]  # e.g. the objects of browser sessions, one of which closes
    freezer = _freezer(clock, old)
    session = _cycle()
    assert freezer.between_runs() == "kept"
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert session() is None


def test_the_rescan_period_thaws_and_the_next_collection_reclaims_frozen_cycles():
    clock, old = [0.0], [5000]
    freezer = _freezer(clock, old)
    frozen = _cycle()
    freezer.between_runs()
    clock[0] = 299.0
    assert freezer.between_runs() == "froze"  # not yet: later survivors join the frozen set
    gc.collect()
    assert frozen() is not None
    clock[0] = 300.0
    assert freezer.between_runs() == "thawed"
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert frozen() is None
    assert freezer.between_runs() == "froze"  # and the period starts again
    clock[0] = 599.0
    assert freezer.between_runs() == "froze"
