"""The threads that run the runtime's units of database work for the event loop.

`StateStore.call(fn, ...)` puts a unit here and awaits its result; the loop goes on serving
other chats. Two things make this cheaper than `loop.run_in_executor`:
- no concurrent.futures.Future chained to an asyncio one: the thread sets the loop's own
  future, and hands back every result of a batch in one `call_soon_threadsafe` (one wake-up of
  the loop instead of one per unit);
- group commit (SQLite: one writer anyway, one thread): the groupable units a loop submits
  during one step of the loop are queued together at its end (StateStore.submit), and when
  several units are queued the thread runs them in one transaction (`BEGIN IMMEDIATE` ... `COMMIT`); when one unit raises,
  the transaction is rolled back and run again with a SAVEPOINT per unit, so one unit's error
  rolls back only that unit. A result is handed back only after the commit:
  "stored when the call returns" holds for every unit. Only units whose function is marked
  `groupable` (their SQL goes through `StateStore.run`) are grouped; any other runs alone.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

GROUP_MAX = 64  # units at most in one group-commit transaction

_GROUPABLE: set[Any] = set()
_WAKE = ("wake",)  # queued with an urgent unit: a waiting thread looks at the urgent ones


def groupable(fn: Callable) -> Callable:
    """Mark a function whose database work all goes through `StateStore.run` (one cursor, no
    other connection): it may share a transaction with other such units."""
    _GROUPABLE.add(fn)
    return fn


def is_groupable(fn: Callable) -> bool:
    return getattr(fn, "__func__", fn) in _GROUPABLE


def _deliver(results: list[tuple[asyncio.Future, bool, Any]]) -> None:
    for fut, ok, value in results:
        if fut.done():  # its caller was cancelled
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


class _Box:
    """The result of a unit queued by a thread that is not a loop (`run_blocking`)."""

    __slots__ = ("_event", "_ok", "_value")

    def __init__(self):
        self._event = threading.Event()
        self._ok, self._value = False, None

    def set(self, ok: bool, value: Any) -> None:
        self._ok, self._value = ok, value
        self._event.set()

    def wait(self) -> Any:
        self._event.wait()
        if self._ok:
            return self._value
        raise self._value


class DbThreads:
    """`threads` threads taking units from one queue; with `batch` (a function running
    [(fn, args, kwargs)] in one transaction, returning [(ok, result or exception)]), queued
    groupable units of one loop are run together (see module doc)."""

    def __init__(self, threads: int, *, batch: Callable[[list], list] | None = None,
                 name: str = "hajibot-db"):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._urgent: collections.deque = collections.deque()
        self._batch = batch  # runs several units in one transaction: [(fn, a, kw)] -> results
        self._threads = [threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True)
                         for i in range(threads)]
        for t in self._threads:
            t.start()

    def submit(self, loop: asyncio.AbstractEventLoop, fn: Callable, args: tuple,
               kwargs: dict) -> asyncio.Future:
        fut = loop.create_future()
        self._queue.put((loop, fut, fn, args, kwargs))
        return fut

    def put(self, units: list) -> None:
        """Queue units (loop, future, fn, args, kwargs) of one loop as one item: one thread
        takes them all, groupable ones into one transaction (StateStore.submit)."""
        self._queue.put(units if len(units) > 1 else units[0])

    def run_blocking(self, fn: Callable, args: tuple, kwargs: dict, *,
                     urgent: bool = False) -> Any:
        """From a thread that is not an event loop: queue the unit, wait for its result
        (grouped with the loop's units like any other). `urgent`: the next free thread runs
        it before anything queued (a sent request's response, bot/sends.py: until it is
        committed the request could be sent twice)."""
        box = _Box()
        if urgent:
            self._urgent.append((None, box, fn, args, kwargs))
            self._queue.put(_WAKE)  # a thread waiting for work looks at the urgent ones
        else:
            self._queue.put((None, box, fn, args, kwargs))
        return box.wait()

    def shutdown(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join()

    def _serve(self) -> None:
        q = self._queue
        held: tuple | list | None = None
        while True:
            item = held if held is not None else q.get()
            held = None
            while self._urgent:
                try:
                    first = self._urgent.popleft()
                except IndexError:  # another thread took it
                    break
                self._hand_back(None, [self._one(first)])
            if item is _WAKE:
                continue
            if item is None:
                return
            batch = item if type(item) is list else [item]  # a list: queued as one (put)
            first = batch[0]
            if self._batch is not None and is_groupable(first[2]):
                while len(batch) < GROUP_MAX:
                    try:
                        nxt = q.get_nowait()
                    except queue.Empty:
                        break
                    units = nxt if type(nxt) is list else [nxt]
                    if (nxt is None or nxt is _WAKE or units[0][0] is not first[0]
                            or not all(is_groupable(u[2]) for u in units)):
                        held = nxt  # after this batch
                        break
                    batch.extend(units)
            if len(batch) == 1 or self._batch is None:
                results = [self._one(u) for u in batch]
            else:
                try:
                    outs = self._batch([(fn, a, kw) for _, _, fn, a, kw in batch])
                except BaseException as exc:  # noqa: BLE001 - BEGIN or COMMIT failed: every unit did; handed to the callers
                    outs = [(False, exc)] * len(batch)
                results = [(fut, ok, v) for (_, fut, *_), (ok, v) in zip(batch, outs,
                                                                          strict=True)]
            self._hand_back(batch[0][0], results)

    @staticmethod
    def _one(item: tuple) -> tuple[asyncio.Future, bool, Any]:
        _, fut, fn, args, kwargs = item
        try:
            return fut, True, fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
            return fut, False, exc

    @staticmethod
    def _hand_back(loop: asyncio.AbstractEventLoop | None, results: list) -> None:
        if loop is None:  # units of run_blocking
            for box, ok, value in results:
                box.set(ok, value)
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_deliver, results)
