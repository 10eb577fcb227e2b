"""Batches for a pull: rows stored a batch at a time, the next batch fetched meanwhile."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Rows a pull stores per transaction: several remote pages, so that the cost of each statement
# and commit fades, yet a write lock is held for tens of milliseconds only.
BATCH = 500

_END = object()


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """Yield from ``items`` while a worker thread already produces the next one.

    A pull alternates between waiting on the remote and writing to the database; overlapping
    the two saves most of the waiting. ``items`` must only talk to the remote, never to the
    database: in the worker thread it would get a connection of its own, outside the pull's
    transactions. An error raised by ``items`` is raised here, where its item would have been.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as worker:
        pending = worker.submit(next, items, _END)
        while (item := pending.result()) is not _END:
            pending = worker.submit(next, items, _END)
            yield item
