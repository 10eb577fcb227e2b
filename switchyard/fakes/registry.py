"""The fake remotes by kind, as import paths so that loading one never loads the others."""

from importlib import import_module

FAKES = {
    "sentry": "switchyard.fakes.sentry:FakeSentry",
    "jira": "switchyard.fakes.jira:FakeJira",
    "linear": "switchyard.fakes.linear:FakeLinear",
}


def fake_class(kind: str):
    module_name, _, class_name = FAKES[kind].partition(":")
    return getattr(import_module(module_name), class_name)
