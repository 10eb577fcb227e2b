"""The fake remotes by kind, as import paths so that loading one never loads the others."""

from importlib import import_module

FAKES = {
    "sentry": "switchyard.fakes.sentry:FakeSentry",
    "jira": "switchyard.fakes.jira:FakeJira",
    "linear": "switchyard.fakes.linear:FakeLinear",
}


def fake_class(kind: str, profile: str | None = None):
    """The fake of a kind; ``profile`` picks a behaviour profile of the fake Sentry."""
    module_name, _, class_name = FAKES[kind].partition(":")
    module = import_module(module_name)
    return module.PROFILES[profile] if profile else getattr(module, class_name)
