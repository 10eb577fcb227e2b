"""Paging a remote listing for a pull: fixed-size pages, the next one fetched while one is stored."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_END = object()


def pages(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while page := list(itertools.islice(iterator, size)):
        yield page


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
