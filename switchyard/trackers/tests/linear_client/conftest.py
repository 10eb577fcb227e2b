"""The fake Linear and a Linear client bound to it, shared by the Linear client tests."""

from __future__ import annotations

import json
import uuid

import pytest

from switchyard.fakes.linear import FakeLinear
from switchyard.trackers.connectors.linear.client import LinearClient

URL = "https://linear.test/graphql"


@pytest.fixture
def fake() -> FakeLinear:
    return FakeLinear.seeded(issues=90, projects=2, seed=5)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeLinear, waits: list[float]) -> LinearClient:
    client = LinearClient(URL, api_key=fake.api_key, transport=fake.transport(), sleep=waits.append)
    client.page_size = 20
    return client


def sent(fake: FakeLinear, index: int = -1) -> dict:
    """The JSON body of a request the fake received."""
    return json.loads(fake.requests[index].body)


def team(fake: FakeLinear, key: str = "ENG") -> str:
    return fake.team_by_key(key)["id"]


def new_id() -> str:
    return str(uuid.uuid4())


def operations(fake: FakeLinear) -> list[str]:
    """The operation names of the requests the fake received, in order."""
    return [json.loads(r.body)["query"].split("(")[0].split()[-1] for r in fake.requests]


def label_id(fake: FakeLinear, name: str, team_key: str = "ENG") -> str:
    """The id of a team's label."""
    (found,) = [
        label.id
        for label in fake.labels.values()
        if (label.name, label.team_id) == (name, team(fake, team_key))
    ]
    return found
