"""A served fake's state kept in a file, so that a restarted demo finds the remote it left.

The snapshot is a pickle of the fake's attributes, taken under its lock, minus what belongs to
one run (``NOT_KEPT``), and what cannot be pickled: locks, clocks, threads. One pickle keeps the references between attributes (an index and
the rows it points at) intact. The file is written to a temporary name and renamed, so a crash
mid-write leaves the previous snapshot.
"""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path
from typing import Any

from switchyard.fakes.base import FakeServer

# What belongs to one run: the webhook subscription (given again on start), and the records of
# requests and deliveries, which only grow and which nothing reads back.
NOT_KEPT = frozenset(
    {
        "webhook_url",
        "webhook_secret",
        "subscribed",
        "requests",
        "exchanges",
        "_faults",
        "sent_webhooks",
        "webhook_errors",
        "_senders",
        "_webhook_threads",
    }
)


def _kept(fake: FakeServer) -> dict[str, Any]:
    kept = {}
    for name, value in vars(fake).items():
        if name in NOT_KEPT:
            continue
        try:
            pickle.dumps(value)
        except (TypeError, pickle.PicklingError, AttributeError):
            continue  # a lock, a clock, a thread: the fresh fake's own serves
        kept[name] = value
    return kept


def save(fake: FakeServer, path: Path) -> None:
    """Write the fake's state to ``path`` (atomically)."""
    with fake.lock:
        data = pickle.dumps(_kept(fake))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def restore(fake: FakeServer, path: Path) -> bool:
    """Load the state saved at ``path`` into a freshly built fake of the same kind; False if none."""
    if not path.exists():
        return False
    # The file is one this process family wrote under the project's var/ directory.
    state = pickle.loads(path.read_bytes())
    with fake.lock:
        vars(fake).update(state)
    return True


class Autosave:
    """Saves the fake every ``every`` seconds in a background thread, and once more on stop."""

    def __init__(self, fake: FakeServer, path: Path, every: float = 5.0) -> None:
        self.fake, self.path, self.every = fake, path, every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-autosave", daemon=True)

    def start(self) -> Autosave:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        save(self.fake, self.path)

    def _run(self) -> None:
        while not self._stopped.wait(self.every):
            save(self.fake, self.path)
