"""Tracker connectors by connection kind. Adding a tracker is one package and one line here."""

from __future__ import annotations

from switchyard.sync.connectors import cached_connector
from switchyard.sync.models import Connection
from switchyard.trackers.connectors.base import TrackerConnector
from switchyard.trackers.connectors.jira.connector import JiraConnector
from switchyard.trackers.connectors.linear.connector import LinearConnector

CONNECTORS = {"jira": JiraConnector, "linear": LinearConnector}


def connector_for(connection: Connection) -> TrackerConnector:
    """The connector for a connection row, with its decrypted credentials (kept per process)."""
    return cached_connector(connection, CONNECTORS[connection.kind].from_connection)
