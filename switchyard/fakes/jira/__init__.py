"""The fake Jira Cloud site (REST API v3, JQL subset, signed admin webhooks)."""

from switchyard.fakes.jira.server import FakeJira

__all__ = ["FakeJira"]
