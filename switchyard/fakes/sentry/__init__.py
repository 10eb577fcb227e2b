"""The fake Sentry: its web API (``/api/0/``) over in-memory state, and its integration webhooks.

Two behaviour profiles: ``sentry`` (sentry.io and self-hosted Sentry) and ``glitchtip`` (GlitchTip,
a Sentry-compatible server; see ``glitchtip.py`` for what differs).
"""

from switchyard.fakes.sentry.glitchtip import FakeGlitchTip
from switchyard.fakes.sentry.server import DEFAULT_TOKEN, FakeSentry

PROFILES: dict[str, type[FakeSentry]] = {"sentry": FakeSentry, "glitchtip": FakeGlitchTip}

__all__ = ["DEFAULT_TOKEN", "PROFILES", "FakeGlitchTip", "FakeSentry"]
