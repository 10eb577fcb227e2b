"""What every web form shares: a service's field errors shown next to the fields they name."""

from __future__ import annotations

from django import forms

from switchyard.core.exceptions import DomainError


def show_domain_error(form: forms.Form, error: DomainError, *, aliases: dict | None = None) -> None:
    """Attach a service's refusal to the form: each field message beside its field, the rest on top."""
    aliases = aliases or {}
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, messages in error.fields.items():
        field = aliases.get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
