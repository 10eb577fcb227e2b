"""Monitoring connectors by connection kind. Adding a provider is one package and one line here."""

from __future__ import annotations

from switchyard.monitoring.connectors.base import MonitoringConnector
from switchyard.monitoring.connectors.sentry.connector import SentryConnector
from switchyard.sync.connectors import cached_connector
from switchyard.sync.models import Connection

CONNECTORS = {"sentry": SentryConnector}


def connector_for(connection: Connection) -> MonitoringConnector:
    """The connector for a connection row, with its decrypted credentials (kept per process)."""
    return cached_connector(connection, CONNECTORS[connection.kind].from_connection)
