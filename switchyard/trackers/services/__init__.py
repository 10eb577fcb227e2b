"""Every write to tracker projects, tickets and links, one module per flow:

- ``pull``: projects, statuses and tickets pulled from a tracker
- ``store``: tickets a tracker sent, stored; their changes followed to what they track
- ``webhooks``: tracker webhooks verified and applied
- ``tickets``: tickets created for sources (through the outbox; one at a time or many at once),
  tracker project defaults
- ``links``: existing tickets linked and unlinked
- ``changes``: a source's status, fields, comments and assignee queued for its tickets
- ``operations``: the outbox operation names, how entries about a link are queued and ordered
- ``deliver``: the outbox operations, delivered to the tracker

Callers import this package (``from switchyard.trackers import services``); the names below are
its interface.
"""

from switchyard.trackers.events import (
    LinkTicketCreated,
    LinkTicketFailed,
    TicketCreatedRemotely,
    TicketsChanged,
)
from switchyard.trackers.services.changes import (
    source_assigned,
    source_commented,
    source_status_changed,
    ticket_update_fields,
)
from switchyard.trackers.services.deliver import (
    deliver_assign,
    deliver_comment,
    deliver_create_ticket,
    deliver_move_ticket,
    deliver_update_ticket,
)
from switchyard.trackers.services.links import (
    AlreadyLinked,
    ticket_link_existing,
    ticket_link_to_source,
    ticket_unlink,
)
from switchyard.trackers.services.operations import (
    ASSIGN_TICKET,
    COMMENT_TICKET,
    CREATE_TICKET,
    MOVE_TICKET,
    UPDATE_TICKET,
    link_ordering_key,
)
from switchyard.trackers.services.pull import (
    fetch_recent_tickets,
    tracker_pull,
    tracker_test_connection,
)
from switchyard.trackers.services.store import store_tickets
from switchyard.trackers.services.tickets import (
    BulkCreateResult,
    OrderResult,
    TicketOrder,
    local_priority_of,
    ticket_create_for_source,
    tickets_create_for_orders,
    tickets_create_for_sources,
    tracker_project_update,
)
from switchyard.trackers.services.webhooks import tracker_apply_webhook, tracker_verify_webhook

__all__ = [
    "ASSIGN_TICKET",
    "COMMENT_TICKET",
    "CREATE_TICKET",
    "MOVE_TICKET",
    "UPDATE_TICKET",
    "AlreadyLinked",
    "BulkCreateResult",
    "OrderResult",
    "TicketOrder",
    "LinkTicketCreated",
    "LinkTicketFailed",
    "TicketCreatedRemotely",
    "TicketsChanged",
    "deliver_assign",
    "deliver_comment",
    "deliver_create_ticket",
    "deliver_move_ticket",
    "deliver_update_ticket",
    "fetch_recent_tickets",
    "link_ordering_key",
    "local_priority_of",
    "source_assigned",
    "source_commented",
    "source_status_changed",
    "store_tickets",
    "ticket_create_for_source",
    "ticket_link_existing",
    "ticket_link_to_source",
    "ticket_unlink",
    "ticket_update_fields",
    "tickets_create_for_orders",
    "tickets_create_for_sources",
    "tracker_apply_webhook",
    "tracker_project_update",
    "tracker_pull",
    "tracker_test_connection",
    "tracker_verify_webhook",
]
