"""The store's database threads (db/threads.py): results only after the commit; on SQLite
queued units share one transaction and a failing unit is rolled back alone."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text

from db.state_store import StateStore
from db.threads import groupable, is_groupable


@groupable
def _insert(store: StateStore, key: int, fail: bool = False) -> int:
    def work(cur):
        sql = "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)"
        cur.execute(sql.replace("?", store.mark), (key, store.stamp(_now())))
        if fail:
            raise ValueError("this unit fails")
        return key

    return store.run(work)


def _now():
    from db.state_store import _utcnow

    return _utcnow()


def _ids(db) -> list[int]:
    with db.engine.connect() as c:
        return [r[0] for r in c.execute(text(
            "SELECT update_id FROM processed_updates ORDER BY update_id"))]


async def test_queued_units_commit_together_and_a_failure_rolls_back_only_its_unit(any_db):
    store = StateStore(any_db)
    gate = threading.Event()
    batches: list[int] = []
    if store.sqlite:
        real = store._run_batch

        def counted(units):
            batches.append(len(units))
            return real(units)

        store._run_batch = counted
    try:
        blocker = store.submit(gate.wait, 5)  # holds the thread while the others queue up
        futs = [store.submit(_insert, store, k, fail=(k == 3)) for k in range(1, 6)]
        await asyncio.sleep(0.05)
        gate.set()
        await blocker
        results = await asyncio.gather(*futs, return_exceptions=True)
        assert results[:2] == [1, 2] and results[3:] == [4, 5]
        assert isinstance(results[2], ValueError)
        assert _ids(any_db) == [1, 2, 4, 5]
        if store.sqlite:
            assert batches == [5]  # one transaction for the five queued units
    finally:
        store.close()


def test_only_marked_functions_are_grouped():
    assert is_groupable(_insert) and is_groupable(StateStore.finish)
    assert not is_groupable(print)


@pytest.mark.parametrize("fail", [False, True])
async def test_a_result_is_handed_back_after_its_commit(db, fail):
    store = StateStore(db)
    try:
        if fail:
            with pytest.raises(ValueError):
                await store.call(_insert, store, 7, fail=True)
            assert _ids(db) == []
        else:
            assert await store.call(_insert, store, 7) == 7
            assert _ids(db) == [7]  # visible to another connection when the call returns
    finally:
        store.close()


async def test_an_urgent_unit_runs_before_those_already_queued(db):
    store = StateStore(db)
    gate = threading.Event()
    order: list[str] = []
    try:
        blocker = store.submit(gate.wait, 5)
        queued = [store.submit(order.append, f"queued {i}") for i in range(3)]
        await asyncio.sleep(0.05)
        urgent = asyncio.get_running_loop().run_in_executor(
            None, lambda: store.call_blocking(order.append, "urgent", urgent=True))
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(blocker, urgent, *queued)
        assert order == ["urgent", "queued 0", "queued 1", "queued 2"]
    finally:
        store.close()


async def test_a_batch_with_a_failing_unit_runs_the_others_once(db):
    """Without a savepoint per unit, a failure rolls the whole batch back and runs it again
    with savepoints: the other units' rows are there once, the failing unit's are not."""
    store = StateStore(db)
    gate = threading.Event()
    runs: list[int] = []

    @groupable
    def insert_counted(key: int, fail: bool = False) -> int:
        runs.append(key)
        return _insert(store, key, fail)

    try:
        blocker = store.submit(gate.wait, 5)
        futs = [store.submit(insert_counted, k, fail=(k == 2)) for k in (1, 2, 3)]
        await asyncio.sleep(0.05)
        gate.set()
        await blocker
        results = await asyncio.gather(*futs, return_exceptions=True)
        assert results[0] == 1 and results[2] == 3 and isinstance(results[1], ValueError)
        assert _ids(db) == [1, 3]
        assert runs == [1, 2, 1, 2, 3]  # the optimistic run stopped at 2; then all again
    finally:
        store.close()


async def test_deferred_writes_share_one_unit_and_are_committed_with_it(db):
    """`defer` (the send journal's responses) and the units submitted in the same step of the
    loop go to the thread together, one transaction, in order (committed before the next
    unit's result is handed back); a deferred write that fails is logged and lost alone, and
    the others survive another unit's failure in their batch."""
    store = StateStore(db)
    gate = threading.Event()
    units: list[int] = []
    real = store._run_batch

    def counted(batch):
        units.append(len(batch))
        return real(batch)

    store._run_batch = counted
    try:
        blocker = store.submit(gate.wait, 5)
        await asyncio.sleep(0.05)
        assert store.defer(_insert, store, 1) is None
        store.defer(_insert, store, 2, True)  # raises: only this write is lost
        store.defer(_insert, store, 3)
        after = store.submit(_insert, store, 4)
        # a unit of the same batch fails: the batch runs again, the deferred writes with it
        failing = store.submit(_insert, store, 5, True)
        await asyncio.sleep(0.05)
        gate.set()
        await blocker
        assert await after == 4
        with pytest.raises(ValueError):
            await failing
        assert _ids(db) == [1, 3, 4]  # committed by the time the next unit's result is back
        assert units == [5]  # the three deferred writes and the two units: one transaction
    finally:
        store.close()


async def test_a_deferred_write_with_no_unit_after_it_is_committed_on_its_own(db):
    store = StateStore(db)
    try:
        store.defer(_insert, store, 8)
        for _ in range(100):  # queued at the end of this loop step; committed soon after
            await asyncio.sleep(0.01)
            if _ids(db) == [8]:
                break
        assert _ids(db) == [8]
    finally:
        store.close()


async def test_units_of_one_loop_step_share_a_transaction_even_when_the_thread_is_idle(db):
    store = StateStore(db)
    batches: list[int] = []
    real = store._run_batch

    def counted(units):
        batches.append(len(units))
        return real(units)

    store._run_batch = counted
    try:
        futs = [store.submit(_insert, store, k) for k in (1, 2, 3)]
        assert await asyncio.gather(*futs) == [1, 2, 3]
        assert batches == [3] and _ids(db) == [1, 2, 3]
    finally:
        store.close()
