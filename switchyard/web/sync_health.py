"""Sync health for organization admins: connections (test, sync now), failed changes, failed webhooks."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from switchyard.core.exceptions import DomainError, RemoteError
from switchyard.core.http import fail_fast
from switchyard.sync import outbox, runs, selectors, services
from switchyard.sync.health import describe_error
from switchyard.sync.models import OutboxEntry, SyncRun, WebhookDelivery
from switchyard.web.access import admin_only
from switchyard.web.paging import page_of

# How long "Test" waits for the remote while the admin looks at the page.
TEST_TIMEOUT_SECONDS = 8.0


class OutboxFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboxEntry.Status.choices, empty_label="Any")
    connection = django_filters.ModelChoiceFilter(queryset=None, empty_label="Any connection")

    class Meta:
        model = OutboxEntry
        fields = ["status", "connection"]

    def __init__(self, data, *args, organization, **kwargs) -> None:
        data = data.copy()
        data.setdefault("status", OutboxEntry.Status.FAILED)
        super().__init__(data, *args, **kwargs)
        self.filters["connection"].queryset = selectors.connection_list(organization=organization)


def _connections(organization) -> list:
    return list(selectors.connection_list(organization=organization))


@admin_only
def health(request):
    """Connections with their state, and the changes that could not be delivered."""
    organization = request.user.organization
    connections = _connections(organization)
    running = any(c.last_run_status == SyncRun.Status.RUNNING for c in connections)
    if request.htmx and request.GET.get("part") == "connections":
        return render(
            request,
            "web/sync/_connections.html",
            {"connections": connections, "running": running},
        )
    filters = OutboxFilter(
        request.GET,
        queryset=selectors.outbox_list(organization=organization),
        organization=organization,
    )
    context = {
        "connections": connections,
        "running": running,
        "filters": filters,
        "page": page_of(request, filters.qs),
    }
    template = "web/sync/_outbox.html" if request.htmx else "web/sync/health.html"
    return render(request, template, context)


@admin_only
def deliveries(request):
    """Webhook deliveries that failed (or any status, through the URL)."""
    status = request.GET.get("status", WebhookDelivery.Status.FAILED)
    rows = selectors.webhook_delivery_list(organization=request.user.organization).order_by(
        "-received_at", "-id"
    )
    if status in WebhookDelivery.Status.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "web/sync/deliveries.html",
        {
            "page": page_of(request, rows),
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
        },
    )


@admin_only
@require_POST
def connection_action(request, pk: int, action: str):
    """Test a connection's credentials, or queue a pull now."""
    if action not in ("test", "sync"):
        raise Http404("No such action.")
    connection = get_object_or_404(
        selectors.connection_list(organization=request.user.organization), pk=pk
    )
    if action == "test":
        try:
            with fail_fast(timeout=TEST_TIMEOUT_SECONDS):
                identity = runs.connection_test(connection=connection)
        except RemoteError as error:
            messages.error(request, f"{connection.name}: {describe_error(error)}")
        else:
            messages.success(request, f"{connection.name}: connected as {identity}.")
    else:
        services.connection_sync_now(connection=connection, full=request.POST.get("full") == "1")
        messages.success(request, f"{connection.name}: sync queued.")
    return redirect("web:sync_health")


@admin_only
@require_POST
def outbox_action(request, pk: int, action: str):
    """Retry or dismiss a change that could not be delivered."""
    if action not in ("retry", "dismiss"):
        raise Http404("No such action.")
    entry = get_object_or_404(selectors.outbox_list(organization=request.user.organization), pk=pk)
    try:
        if action == "retry":
            outbox.outbox_retry(entry=entry)
        else:
            outbox.outbox_dismiss(entry=entry)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        entry.refresh_from_db()
        done = "retried" if action == "retry" else "dismissed"
        messages.success(
            request, f"Change #{entry.pk} {done}: now {entry.get_status_display().lower()}."
        )
    back = request.POST.get("next", "")
    return redirect(f"/sync/{back}" if back.startswith("?") else "web:sync_health")
