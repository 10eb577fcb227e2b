"""The fake Sentry: its web API (``/api/0/``) over in-memory state, and its integration webhooks."""

from switchyard.fakes.sentry.server import DEFAULT_TOKEN, FakeSentry

__all__ = ["DEFAULT_TOKEN", "FakeSentry"]
