"""The connections webhooks are verified against, kept per process.

Finding a connection and decrypting its secrets cost about as much as storing the delivery, for
a row that seldom changes. A process therefore keeps each enabled connection it has read, by kind
and uuid. A kept copy is never trusted for storing: the receipt reads the row's switch and secret
under the lock it takes anyway (``inbox.webhook_receive``), and a copy that no longer matches, or
that refuses a signature, is dropped and the delivery checked again against the row
(``inbox.webhook_accept``). Saving or deleting a connection drops it in this process at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from switchyard.sync.models import Connection

MAX_KEPT = 256

_kept: OrderedDict[tuple[str, str], Connection] = OrderedDict()
_lock = threading.Lock()


def webhook_connection(
    *, kind: str, connection_uuid, fresh: bool = False
) -> tuple[Connection | None, bool]:
    """The enabled connection of this kind and uuid, or None; and whether it is a kept copy
    (never when ``fresh``) rather than read from the database just now."""
    key = (kind, str(connection_uuid))
    if not fresh:
        with _lock:
            if (connection := _kept.get(key)) is not None:
                _kept.move_to_end(key)
                return connection, True
    connection = Connection.objects.filter(uuid=connection_uuid, kind=kind, is_enabled=True).first()
    with _lock:
        if connection is None:
            _kept.pop(key, None)
        else:
            _kept[key] = connection
            while len(_kept) > MAX_KEPT:
                _kept.popitem(last=False)
    return connection, False


@receiver(post_save, sender=Connection, dispatch_uid="webhook_connections.forget_saved")
@receiver(post_delete, sender=Connection, dispatch_uid="webhook_connections.forget_deleted")
def forget(sender, instance: Connection, **kwargs) -> None:
    with _lock:
        _kept.pop((instance.kind, str(instance.uuid)), None)
