"""Admin for connections (secrets write-only), runs, the outbox, webhook and event deliveries."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.core.exceptions import DomainError, RemoteError
from switchyard.sync import outbox, runs, services, subscribers
from switchyard.sync.health import describe_error
from switchyard.sync.models import (
    Connection,
    EventDelivery,
    OutboxEntry,
    SyncRun,
    WebhookDelivery,
)


class ConnectionForm(forms.ModelForm):
    base_url = forms.URLField(assume_scheme="https")
    api_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the stored token.",
    )
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the stored secret.",
    )

    class Meta:
        model = Connection
        fields = [
            "organization",
            "kind",
            "name",
            "base_url",
            "remote_organization",
            "account_email",
            "api_token",
            "webhook_secret",
            "is_enabled",
            "sync_enabled",
            "sync_interval",
        ]

    def clean(self):
        cleaned = super().clean()
        stored = Connection.objects.get(pk=self.instance.pk) if self.instance.pk else None
        if cleaned.get("base_url"):
            errors = services.connection_target_errors(
                base_url=cleaned["base_url"],
                previous_base_url=stored.base_url if stored else None,
                token_entered=bool(cleaned.get("api_token")),
            )
            for name, messages in errors.items():
                self.add_error(name, messages)
        for name in ("api_token", "webhook_secret"):
            if not cleaned.get(name) and stored:
                cleaned[name] = getattr(stored, name)
        return cleaned


@admin.register(Connection)
class ConnectionAdmin(OrganizationScopedAdmin):
    form = ConnectionForm
    list_display = [
        "name",
        "kind",
        "organization",
        "sync_enabled",
        "last_sync_at",
        "health",
        "consecutive_failures",
    ]
    list_filter = ["kind", "sync_enabled", "is_enabled"]
    search_fields = ["name", "base_url"]
    readonly_fields = [
        "uuid",
        "last_sync_at",
        "next_sync_at",
        "last_ok_at",
        "last_error_at",
        "last_error",
        "consecutive_failures",
    ]
    actions = ["sync_now", "test_connection"]

    @admin.display(description="Health")
    def health(self, connection: Connection) -> str:
        if connection.consecutive_failures:
            return f"failing: {connection.last_error[:80]}"
        return "ok" if connection.last_ok_at else "not contacted yet"

    @admin.action(description="Sync now")
    def sync_now(self, request, queryset):
        for connection in queryset:
            services.connection_sync_now(connection=connection)
        self.message_user(request, f"Sync queued for {queryset.count()} connection(s).")

    @admin.action(description="Test connection")
    def test_connection(self, request, queryset):
        for connection in queryset:
            try:
                identity = runs.connection_test(connection=connection)
            except RemoteError as error:
                self.message_user(request, f"{connection}: {describe_error(error)}", messages.ERROR)
            else:
                self.message_user(request, f"{connection}: authenticated as {identity}.")


@admin.register(SyncRun)
class SyncRunAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "connection",
        "trigger",
        "full",
        "status",
        "started_at",
        "finished_at",
        "created",
        "updated",
        "unchanged",
        "deleted",
        "failed",
    ]
    list_filter = ["status", "trigger", "connection__kind"]
    list_select_related = ["connection"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEntry)
class OutboxEntryAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "id",
        "operation",
        "connection",
        "ordering_key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "operation", "connection__kind"]
    list_select_related = ["connection"]
    search_fields = ["ordering_key", "last_error"]
    actions = ["retry", "dismiss"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry delivery now")
    def retry(self, request, queryset):
        _apply(self, request, queryset, lambda row: outbox.outbox_retry(entry=row), "queued again")

    @admin.action(description="Dismiss (never deliver)")
    def dismiss(self, request, queryset):
        _apply(self, request, queryset, lambda row: outbox.outbox_dismiss(entry=row), "dismissed")


def _apply(model_admin, request, queryset, service, done: str) -> None:
    """Run a retry or dismiss service on each selected row; say which were refused and why."""
    count = 0
    for row in queryset:
        try:
            service(row)
            count += 1
        except DomainError as error:
            model_admin.message_user(request, f"#{row.pk}: {error.message}", messages.WARNING)
    model_admin.message_user(request, f"{count} {model_admin.opts.verbose_name_plural} {done}.")


@admin.register(EventDelivery)
class EventDeliveryAdmin(OrganizationScopedAdmin):
    list_display = [
        "id",
        "event_type",
        "subscriber",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "event_type", "subscriber"]
    search_fields = ["last_error"]
    actions = ["retry", "dismiss"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry now")
    def retry(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda row: subscribers.event_retry(delivery=row),
            "queued again",
        )

    @admin.action(description="Dismiss (never run)")
    def dismiss(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda row: subscribers.event_dismiss(delivery=row),
            "dismissed",
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "delivery_id",
        "connection",
        "event_type",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_filter = ["status", "connection__kind", "event_type"]
    list_select_related = ["connection"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
