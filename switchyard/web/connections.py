"""Adding a connection (organization admins): kind, URL, credentials; tested before it is saved."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from switchyard.core.exceptions import (
    DomainError,
    RemoteAddressRefused,
    RemoteBadResponse,
    RemoteError,
    RemoteForbidden,
    RemoteNotFound,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.core.http import fail_fast
from switchyard.sync.health import describe_error
from switchyard.sync.models import Connection, ConnectionKind
from switchyard.sync.registry import connection_needs, registered_kinds
from switchyard.sync.services import connection_create_tested
from switchyard.web.access import admin_only
from switchyard.web.forms import show_domain_error
from switchyard.web.sync_health import TEST_TIMEOUT_SECONDS

# Fields a kind shows only when it needs them (the kind's registered needs say which).
KIND_FIELDS = ("remote_organization", "account_email")


def _help(name: str) -> str:
    return str(Connection._meta.get_field(name).help_text)


class ConnectionAddForm(forms.Form):
    """A new connection of one kind; which credentials it asks for follows the kind."""

    name = forms.CharField(max_length=120, help_text="How this connection is named in Switchyard.")
    base_url = forms.URLField(label="Base URL", assume_scheme="https", help_text=_help("base_url"))
    remote_organization = forms.CharField(
        label="Organization slug", max_length=200, help_text=_help("remote_organization")
    )
    account_email = forms.EmailField(label="Account email", help_text=_help("account_email"))
    api_token = forms.CharField(
        label="API token",
        strip=True,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
        help_text=_help("api_token"),
    )
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
        help_text="The secret the remote signs its webhooks with. Leave blank to have one made;"
        " it is shown once, after saving.",
    )

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        needs = connection_needs(kind)
        required = needs.required_fields
        for name in KIND_FIELDS:
            if name not in required:
                del self.fields[name]
        self.fields["api_token"].required = "api_token" in required
        default_url = needs.default_base_url
        self.fields["base_url"].required = not default_url
        self.fields["base_url"].initial = default_url
        if default_url:
            self.fields["base_url"].help_text = "Keep it for the hosted service, or give your own."
        self.fields["base_url"].widget.attrs["placeholder"] = default_url or "https://"


def _kinds() -> list[tuple[str, str]]:
    return [(kind, ConnectionKind(kind).label) for kind in registered_kinds()]


def _field_of(error: RemoteError, form: ConnectionAddForm) -> str | None:
    """The field a refusal of the test most likely points at, if any."""
    if isinstance(error, RemoteUnauthorized | RemoteForbidden):
        return "api_token"
    if isinstance(error, RemoteNotFound) and "remote_organization" in form.fields:
        return "remote_organization"
    if isinstance(
        error, RemoteNotFound | RemoteUnavailable | RemoteBadResponse | RemoteAddressRefused
    ):
        return "base_url"
    return None


@admin_only
@never_cache
def add_connection(request):
    """The form for one kind; on success the webhook URL and secret, shown this once."""
    kinds = _kinds()
    kind = request.GET.get("kind") or kinds[0][0]
    if kind not in dict(kinds):
        raise Http404("No such kind of connection.")
    form = ConnectionAddForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            with fail_fast(timeout=TEST_TIMEOUT_SECONDS):
                connection, identity = connection_create_tested(
                    organization=request.user.organization, kind=kind, **form.cleaned_data
                )
        except DomainError as error:
            show_domain_error(form, error)
        except RemoteError as error:
            reason = f"The test failed, nothing was saved: {describe_error(error)}"
            form.add_error(_field_of(error, form), reason)
        else:
            path = reverse("webhook", kwargs={"kind": kind, "connection_uuid": connection.uuid})
            return render(
                request,
                "web/sync/connection_added.html",
                {
                    "connection": connection,
                    "identity": identity,
                    "webhook_url": request.build_absolute_uri(path),
                },
            )
    return render(
        request,
        "web/sync/connection_add.html",
        {"form": form, "kind": kind, "kind_label": ConnectionKind(kind).label, "kinds": kinds},
    )
