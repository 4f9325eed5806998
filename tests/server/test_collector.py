"""The garbage collector's policy: survivors of a collection are frozen as it ends, frozen cyclic garbage is
collected by a thaw when the frozen set has grown, and the policy undoes itself."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from server.collector import GC_THRESHOLDS, THAW_GROWTH, CollectorPolicy
from tests.support.clock import FakeClock


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(a)


@pytest.fixture
def policy() -> Iterator[CollectorPolicy]:
    thresholds = gc.get_threshold()
    policy = CollectorPolicy()
    policy.install()
    try:
        yield policy
    finally:
        policy.uninstall()
        gc.unfreeze()
        gc.collect()
        assert gc.get_threshold() == thresholds


def test_install_freezes_what_is_alive_and_sets_the_thresholds(policy: CollectorPolicy) -> None:
    assert gc.get_threshold() == GC_THRESHOLDS
    assert policy.frozen_after_thaw > 10_000
    assert (
        abs(gc.get_freeze_count() - policy.frozen_after_thaw) < 500
    )  # (frozen objects still die by refcount)
    assert len(gc.get_objects(2)) < 1000  # the oldest generation no longer holds the start-up objects


def test_survivors_of_a_collection_are_frozen_and_garbage_is_not(policy: CollectorPolicy) -> None:
    frozen = gc.get_freeze_count()
    kept = [Node() for _ in range(500)]
    garbage_head, garbage_ref = cycle()
    del garbage_head
    gc.collect(0)
    assert garbage_ref() is None  # cyclic garbage found by the young collection
    assert gc.get_freeze_count() >= frozen + 500  # the survivors went out of reach of later collections
    assert all(not gc.is_tracked(n) or n in kept for n in kept)
    assert len(gc.get_objects(0)) + len(gc.get_objects(1)) + len(gc.get_objects(2)) < 200


def test_frozen_objects_that_die_in_a_cycle_wait_for_a_thaw(policy: CollectorPolicy) -> None:
    head, ref = cycle()
    gc.collect(0)  # the cycle survives: frozen
    del head
    gc.collect()
    assert ref() is not None  # out of reach of collections while frozen
    assert policy.thaw() >= 2
    assert ref() is None
    assert policy.thaws == 1 and abs(gc.get_freeze_count() - policy.frozen_after_thaw) < 500


def test_a_thaw_is_due_only_after_the_frozen_set_has_grown(policy: CollectorPolicy) -> None:
    assert not policy.thaw_due()
    grown = [[Node()] for _ in range(int(policy.frozen_after_thaw * THAW_GROWTH) + 100)]
    gc.collect(0)
    assert policy.thaw_due()
    policy.thaw()
    assert not policy.thaw_due()
    del grown


async def test_the_watch_collects_the_young_each_second_and_thaws_on_its_interval_when_due() -> None:
    clock = FakeClock()
    policy = CollectorPolicy(clock, thaw_seconds=60, young_seconds=1)
    policy.install()
    young: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            young.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        policy.start_watch()
        await asyncio.sleep(0)
        await clock.advance(10)
        assert young.count(0) >= 10  # the timer's young collections, whatever the allocation count
        await clock.advance(50)
        assert policy.thaws == 0  # nothing grew: an idle server never pauses for a full collection
        grown = [[Node()] for _ in range(int(policy.frozen_after_thaw * THAW_GROWTH) + 100)]
        gc.collect(0)
        await clock.advance(60)
        assert policy.thaws == 1
        del grown
    finally:
        gc.callbacks.remove(seen)
        policy.uninstall()
        gc.unfreeze()
        gc.collect()


def test_uninstall_removes_the_callback() -> None:
    policy = CollectorPolicy()
    policy.install()
    policy.uninstall()
    gc.unfreeze()
    assert policy._collected not in gc.callbacks
    frozen = gc.get_freeze_count()
    gc.collect(0)
    assert gc.get_freeze_count() == frozen == 0
