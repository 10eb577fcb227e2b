import pytest

from switchyard.core import http
from tests.api.world import build_worlds, unmount


@pytest.fixture
def worlds(db, monkeypatch):
    """Two seeded organizations, Falcon (index 0) and Heron (index 1)."""
    monkeypatch.setattr(http, "pause", lambda seconds: None)
    built = build_worlds()
    yield built
    unmount(built)
