"""The GUI-thread collector keeps collection cheap (issue 24): start-up allocations are
frozen, not scanned; after start-up only young generations are collected on the timer."""

from __future__ import annotations

import gc

from latent_atlas.explorer.qt.gc_guard import GuiThreadCollector


def _allocate(n: int = 5000) -> list:
    return [[i] for i in range(n)]  # container objects: they count for the collector


def test_startup_freezes_instead_of_collecting(qapp):
    collector = GuiThreadCollector().start(startup=True)
    try:
        frozen = gc.get_freeze_count()
        keep = _allocate()
        collector.check()
        assert collector.collections == [0, 0, 0]
        assert gc.get_freeze_count() > frozen  # moved out of every future scan
        assert not collector.settled
        del keep
    finally:
        collector.stop()


def test_after_settle_the_timer_collects_young_generations(qapp):
    collector = GuiThreadCollector().start(startup=True)
    try:
        collector.settle()
        assert collector.settled
        keep = _allocate()
        collector.check()
        assert collector.collections[0] == 1 and collector.collections[2] == 0
        del keep
    finally:
        collector.stop()


def test_startup_ends_when_the_windows_say_so(qapp):
    ready = {"now": False}
    collector = GuiThreadCollector().start(startup=lambda: ready["now"])
    try:
        keep = _allocate()
        collector.check()
        assert not collector.settled
        ready["now"] = True
        keep += _allocate()
        collector.check()
        assert collector.settled
        del keep
    finally:
        collector.stop()


def test_stop_unfreezes_so_nothing_outlives_the_application(qapp):
    collector = GuiThreadCollector().start(startup=True)
    keep = _allocate()
    collector.check()
    assert gc.get_freeze_count() > 0
    collector.stop()
    assert gc.get_freeze_count() == 0
    del keep
