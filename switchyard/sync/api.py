"""REST endpoints of the sync engine: connections, runs, the outbox, webhook and event deliveries."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from switchyard.core.api import IsOrgAdmin, IsOrgStaffReadingOrAdmin
from switchyard.core.exceptions import RemoteError
from switchyard.core.filters import FilterSet
from switchyard.sync import outbox, runs, selectors, services, subscribers
from switchyard.sync.health import describe_error
from switchyard.sync.models import (
    Connection,
    ConnectionKind,
    EventDelivery,
    OutboxEntry,
    SyncRun,
    WebhookDelivery,
)


class SyncNowSerializer(serializers.Serializer):
    full = serializers.BooleanField(default=False)


class ConnectionSerializer(serializers.ModelSerializer):
    """A connection as the API shows it: secrets are never returned, only whether they are set."""

    account_email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    has_api_token = serializers.SerializerMethodField()
    has_webhook_secret = serializers.SerializerMethodField()
    sync_interval_minutes = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()
    waiting_changes = serializers.IntegerField(read_only=True)
    failed_changes = serializers.IntegerField(read_only=True)
    next_retry_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_run_status = serializers.CharField(read_only=True, allow_null=True)
    last_run_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Connection
        fields = [
            "id",
            "uuid",
            "kind",
            "name",
            "base_url",
            "remote_organization",
            "account_email",
            "has_api_token",
            "has_webhook_secret",
            "webhook_url",
            "is_enabled",
            "sync_enabled",
            "sync_interval_minutes",
            "last_sync_at",
            "next_sync_at",
            "last_ok_at",
            "last_error_at",
            "last_error",
            "consecutive_failures",
            "waiting_changes",
            "failed_changes",
            "next_retry_at",
            "last_run_status",
            "last_run_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_api_token(self, connection: Connection) -> bool:
        return bool(connection.api_token)

    def get_has_webhook_secret(self, connection: Connection) -> bool:
        return bool(connection.webhook_secret)

    def get_sync_interval_minutes(self, connection: Connection) -> int:
        return int(connection.sync_interval.total_seconds() // 60)

    def get_webhook_url(self, connection: Connection) -> str:
        path = f"/api/webhooks/{connection.kind}/{connection.uuid}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ConnectionWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConnectionKind.choices)
    name = serializers.CharField(max_length=120)
    base_url = serializers.URLField(required=False, allow_blank=True)
    remote_organization = serializers.CharField(max_length=200, required=False, allow_blank=True)
    account_email = serializers.EmailField(required=False, allow_blank=True)
    api_token = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=True,
        style={"input_type": "password"},
    )
    webhook_secret = serializers.CharField(
        required=False, allow_blank=True, write_only=True, style={"input_type": "password"}
    )
    is_enabled = serializers.BooleanField(required=False)
    sync_enabled = serializers.BooleanField(required=False)
    sync_interval_minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=7 * 24 * 60
    )

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "sync_interval_minutes" in values:
            values["sync_interval"] = timedelta(minutes=values.pop("sync_interval_minutes"))
        return values


class ConnectionViewSet(viewsets.ModelViewSet):
    """Connections to Sentry, Jira and Linear (organization admins)."""

    permission_classes = [IsOrgAdmin]
    queryset = Connection.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = ConnectionSerializer
    filterset_fields = ["kind", "is_enabled", "sync_enabled"]
    search_fields = ["name", "base_url"]
    ordering_fields = ["name", "kind", "last_sync_at"]

    def get_queryset(self):
        return selectors.connection_list(organization=self.request.user.organization)

    def _output(self, connection: Connection, code=status.HTTP_200_OK) -> Response:
        connection = self.get_queryset().get(pk=connection.pk)
        return Response(
            ConnectionSerializer(connection, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(request=ConnectionWriteSerializer, responses={201: ConnectionSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ConnectionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        connection = services.connection_create(
            organization=request.user.organization, **serializer.validated_data
        )
        return self._output(connection, status.HTTP_201_CREATED)

    @extend_schema(request=ConnectionWriteSerializer, responses=ConnectionSerializer)
    def update(self, request, *args, **kwargs):
        connection = self.get_object()
        serializer = ConnectionWriteSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if fields.pop("kind", connection.kind) != connection.kind:
            return Response({"kind": ["The kind of a connection cannot change."]}, status=400)
        connection = services.connection_update(connection=connection, **fields)
        return self._output(connection)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ConnectionTest", {"ok": serializers.BooleanField(), "detail": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Ask the remote who the credentials belong to."""
        try:
            identity = runs.connection_test(connection=self.get_object())
        except RemoteError as error:
            return Response({"ok": False, "detail": describe_error(error)})
        return Response({"ok": True, "detail": identity})

    @extend_schema(
        request=SyncNowSerializer,
        responses={202: inline_serializer("SyncQueued", {"detail": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Sync now; with ``full`` the pull also notices objects deleted remotely."""
        connection = self.get_object()
        serializer = SyncNowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.connection_sync_now(connection=connection, full=serializer.validated_data["full"])
        return Response({"detail": "Sync queued."}, status=status.HTTP_202_ACCEPTED)


class SyncRunSerializer(serializers.ModelSerializer):
    connection_name = serializers.CharField(source="connection.name", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connection",
            "connection_name",
            "trigger",
            "full",
            "scope",
            "status",
            "started_at",
            "finished_at",
            "created",
            "updated",
            "unchanged",
            "deleted",
            "failed",
            "error",
        ]
        read_only_fields = fields


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    """The log of pulls."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = SyncRun.objects.none()
    serializer_class = SyncRunSerializer
    filterset_fields = ["connection", "status", "trigger"]
    ordering_fields = ["started_at"]

    def get_queryset(self):
        return selectors.sync_run_list(organization=self.request.user.organization)


class OutboxEntrySerializer(serializers.ModelSerializer):
    connection_name = serializers.CharField(source="connection.name", read_only=True)

    class Meta:
        model = OutboxEntry
        fields = [
            "id",
            "connection",
            "connection_name",
            "operation",
            "ordering_key",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "result",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class OutboxFilter(FilterSet):
    class Meta:
        model = OutboxEntry
        fields = ["connection", "status", "operation"]


class OutboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Changes waiting for, delivered to, or refused by a remote; failed ones can be retried."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = OutboxEntry.objects.none()
    serializer_class = OutboxEntrySerializer
    filterset_class = OutboxFilter
    ordering_fields = ["id", "next_attempt_at", "created_at"]

    def get_queryset(self):
        return selectors.outbox_list(organization=self.request.user.organization)

    @extend_schema(request=None, responses=OutboxEntrySerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        entry = outbox.outbox_retry(entry=self.get_object())
        return Response(OutboxEntrySerializer(entry).data)

    @extend_schema(request=None, responses=OutboxEntrySerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        entry = outbox.outbox_dismiss(entry=self.get_object())
        return Response(OutboxEntrySerializer(entry).data)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "connection",
            "delivery_id",
            "event_type",
            "status",
            "attempts",
            "received_at",
            "processed_at",
            "error",
        ]
        read_only_fields = fields


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Webhooks received, and what became of them."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["connection", "status", "event_type"]
    ordering_fields = ["received_at"]

    def get_queryset(self):
        return selectors.webhook_delivery_list(organization=self.request.user.organization)


class EventDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = EventDelivery
        fields = [
            "id",
            "event_type",
            "subscriber",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class EventDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Follow-up work of committed changes (event subscribers) that has not run yet or failed."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = EventDelivery.objects.none()
    serializer_class = EventDeliverySerializer
    filterset_fields = ["status", "event_type", "subscriber"]
    ordering_fields = ["id", "next_attempt_at", "created_at"]

    def get_queryset(self):
        return selectors.event_delivery_list(organization=self.request.user.organization)

    @extend_schema(request=None, responses=EventDeliverySerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = subscribers.event_retry(delivery=self.get_object())
        return Response(EventDeliverySerializer(delivery).data)

    @extend_schema(request=None, responses=EventDeliverySerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        delivery = subscribers.event_dismiss(delivery=self.get_object())
        return Response(EventDeliverySerializer(delivery).data)


class SyncHealthViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every connection's health for staff: last sync, last error, changes waiting or failed."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = Connection.objects.none()
    serializer_class = ConnectionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.connection_list(organization=self.request.user.organization)
