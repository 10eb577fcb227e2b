"""REST endpoints for tracker projects, tickets, links, mappings and cross-system product views."""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django.db.models import Model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.core.api import IdField, IsOrgStaff, IsOrgStaffReadingOrAdmin
from switchyard.core.filters import FilterSet, IdFilter
from switchyard.monitoring.api import ProductBriefSerializer
from switchyard.monitoring.selectors import sentry_issue_list
from switchyard.products.filters import ProductSubtreeFilter
from switchyard.trackers import mapping_services, selectors, services
from switchyard.trackers.models import (
    LocalPriority,
    PriorityMapping,
    RegressionPolicy,
    StatusCategory,
    StatusMapping,
    Ticket,
    TicketLink,
    TrackerProject,
)


class TrackerProjectSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="connection.kind", read_only=True)
    product = ProductBriefSerializer(read_only=True, allow_null=True)
    open_tickets = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrackerProject
        fields = [
            "id",
            "connection",
            "kind",
            "external_id",
            "key",
            "name",
            "project_type",
            "lead",
            "product",
            "default_issue_type",
            "default_priority",
            "default_labels",
            "rules_may_create",
            "regression_policy",
            "is_deleted",
            "open_tickets",
        ]
        read_only_fields = [
            "id",
            "connection",
            "kind",
            "external_id",
            "key",
            "name",
            "project_type",
            "lead",
            "product",
            "is_deleted",
            "open_tickets",
        ]


class TrackerProjectWriteSerializer(serializers.Serializer):
    default_issue_type = serializers.CharField(max_length=60, required=False)
    default_priority = serializers.ChoiceField(choices=LocalPriority.choices, required=False)
    default_labels = serializers.ListField(
        child=serializers.RegexField(r"^\S+$", max_length=100), required=False
    )
    rules_may_create = serializers.BooleanField(required=False)
    regression_policy = serializers.ChoiceField(choices=RegressionPolicy.choices, required=False)


class TrackerProjectFilter(FilterSet):
    product = IdFilter(field_name="product_id")
    unassigned = django_filters.BooleanFilter(field_name="product", lookup_expr="isnull")
    kind = django_filters.CharFilter(field_name="connection__kind")

    class Meta:
        model = TrackerProject
        fields = ["product", "unassigned", "kind", "connection", "rules_may_create"]


class TrackerProjectViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Jira projects and Linear teams; admins set the defaults for new tickets."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = TrackerProject.objects.none()
    serializer_class = TrackerProjectSerializer
    filterset_class = TrackerProjectFilter
    search_fields = ["key", "name"]
    ordering_fields = ["key", "name", "open_tickets"]
    ordering = ["key", "id"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.tracker_project_list(organization=self.request.user.organization)

    @extend_schema(request=TrackerProjectWriteSerializer, responses=TrackerProjectSerializer)
    def partial_update(self, request, *args, **kwargs):
        serializer = TrackerProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = services.tracker_project_update(
            project=self.get_object(), **serializer.validated_data
        )
        return Response(TrackerProjectSerializer(self.get_queryset().get(pk=project.pk)).data)


class StatusMappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusMapping
        fields = [
            "id",
            "tracker_project",
            "remote_status",
            "remote_status_id",
            "category",
            "preferred",
        ]
        read_only_fields = ["id", "tracker_project", "remote_status", "remote_status_id"]


class PriorityMappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriorityMapping
        fields = ["id", "tracker_project", "priority", "remote_priority"]
        read_only_fields = ["id", "tracker_project", "priority"]


class ProjectMappingViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A mapping table of the caller's organization's tracker projects; admins change a row
    through ``write``, the service that takes the row and the validated fields."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    http_method_names = ["get", "patch", "head", "options"]
    write: Callable[..., Model]

    def get_queryset(self):
        return self.queryset.model._default_manager.filter(
            tracker_project__connection__organization=self.request.user.organization
        )

    def perform_update(self, serializer):
        serializer.instance = self.write(mapping=serializer.instance, **serializer.validated_data)


def project_mapping_viewset(
    serializer_class: type[serializers.ModelSerializer],
    *,
    filter_by: str,
    write: Callable[..., Model],
    doc: str,
) -> type[ProjectMappingViewSet]:
    """The viewset of one mapping table, listed by tracker project and ``filter_by``."""
    model = serializer_class.Meta.model
    attributes = {
        "__doc__": doc,
        "__module__": __name__,
        "queryset": model.objects.none(),
        "serializer_class": serializer_class,
        "filterset_fields": ["tracker_project", filter_by],
        "write": staticmethod(write),
    }
    return type(f"{model.__name__}ViewSet", (ProjectMappingViewSet,), attributes)


StatusMappingViewSet = project_mapping_viewset(
    StatusMappingSerializer,
    filter_by="category",
    write=mapping_services.status_mapping_update,
    doc="Which category each remote status counts as (several may count as done); editable by admins.",
)
PriorityMappingViewSet = project_mapping_viewset(
    PriorityMappingSerializer,
    filter_by="priority",
    write=mapping_services.priority_mapping_update,
    doc="The remote priority each local priority stands for; editable by admins.",
)


class TicketBriefSerializer(serializers.ModelSerializer):
    assignee_email = serializers.CharField(read_only=True, help_text="An email address, or empty.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "key",
            "url",
            "summary",
            "status",
            "status_category",
            "priority",
            "assignee_email",
        ]
        read_only_fields = fields


class TrackerProjectBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackerProject
        fields = ["id", "key", "name"]
        read_only_fields = fields


class TicketLinkSerializer(serializers.ModelSerializer):
    ticket = TicketBriefSerializer(read_only=True, allow_null=True)
    tracker_project = TrackerProjectBriefSerializer(read_only=True)
    source_type = serializers.CharField(source="source_type.model", read_only=True)

    class Meta:
        model = TicketLink
        fields = [
            "id",
            "ticket",
            "tracker_project",
            "source_type",
            "source_id",
            "created_via",
            "status_to_source",
            "status_to_tracker",
            "is_active",
            "sync_state",
            "last_synced_at",
            "last_error",
            "last_error_at",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "ticket",
            "tracker_project",
            "source_type",
            "source_id",
            "created_via",
            "is_active",
            "sync_state",
            "last_synced_at",
            "last_error",
            "last_error_at",
            "created_at",
        ]


class TicketLinkViewSet(
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Links between tickets and what they track; failing status syncs show here (sync_state=failing)."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = TicketLink.objects.none()
    serializer_class = TicketLinkSerializer
    filterset_fields = ["sync_state", "created_via", "is_active", "tracker_project"]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.ticket_link_list(organization=self.request.user.organization)

    def perform_update(self, serializer):
        serializer.instance = mapping_services.ticket_link_set_directions(
            link=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.ticket_unlink(link=instance)


class TicketSerializer(TicketBriefSerializer):
    tracker_project = TrackerProjectBriefSerializer(read_only=True)
    product = ProductBriefSerializer(
        source="tracker_project.product", read_only=True, allow_null=True
    )
    sources = serializers.SerializerMethodField()

    class Meta(TicketBriefSerializer.Meta):
        fields = [
            *TicketBriefSerializer.Meta.fields,
            "description",
            "issue_type",
            "reporter_email",
            "tracker_project",
            "product",
            "remote_created_at",
            "remote_updated_at",
            "resolved_at",
            "sources",
        ]
        read_only_fields = fields

    @extend_schema(
        responses=inline_serializer(
            "TicketSource",
            {
                "type": serializers.CharField(),
                "id": serializers.IntegerField(),
                "link": serializers.IntegerField(),
            },
            many=True,
        )
    )
    def get_sources(self, ticket: Ticket) -> list[dict]:
        return [
            {"type": link.source_type.model, "id": link.source_id, "link": link.pk}
            for link in ticket.links.all()
            if link.is_active
        ]


class TicketFilter(FilterSet):
    status_category = django_filters.MultipleChoiceFilter(
        choices=StatusCategory.choices, distinct=False
    )
    product = ProductSubtreeFilter(field_name="tracker_project__product")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="remote_created_at", lookup_expr="gte"
    )
    kind = django_filters.CharFilter(field_name="connection__kind")

    class Meta:
        model = Ticket
        fields = [
            "status_category",
            "tracker_project",
            "product",
            "assignee_email",
            "created_after",
            "kind",
        ]


class TicketViewSet(viewsets.ReadOnlyModelViewSet):
    """Tickets synced from Jira and Linear, each with what it tracks."""

    permission_classes = [IsOrgStaff]
    queryset = Ticket.objects.none()
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    search_fields = ["key", "summary"]
    ordering_fields = ["remote_updated_at", "remote_created_at", "key"]

    def get_queryset(self):
        return selectors.ticket_list(organization=self.request.user.organization)


# -- tickets from Sentry issues -------------------------------------------------------------------


class CreateTicketSerializer(serializers.Serializer):
    tracker_project = IdField()


class LinkTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="A ticket key (PAY-7) or its URL.")


def _tracker_project(request, pk) -> TrackerProject:
    project = (
        selectors.tracker_project_list(organization=request.user.organization).filter(pk=pk).first()
    )
    if project is None:
        raise serializers.ValidationError(
            {"tracker_project": [f'Invalid pk "{pk}" - object does not exist.']}
        )
    return project


class SentryIssueTicketsApi(APIView):
    """The tickets of a Sentry issue (GET); create one in a tracker project (POST)."""

    permission_classes = [IsOrgStaff]

    def _issue(self, pk):
        return get_object_or_404(
            sentry_issue_list(organization=self.request.user.organization), pk=pk
        )

    @extend_schema(responses=TicketLinkSerializer(many=True))
    def get(self, request, pk):
        return Response(
            TicketLinkSerializer(selectors.links_of_source(source=self._issue(pk)), many=True).data
        )

    @extend_schema(request=CreateTicketSerializer, responses={202: TicketLinkSerializer})
    def post(self, request, pk):
        issue = self._issue(pk)
        serializer = CreateTicketSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.ticket_create_for_source(
            source=issue,
            tracker_project=_tracker_project(request, serializer.validated_data["tracker_project"]),
        )
        return Response(TicketLinkSerializer(link).data, status=status.HTTP_202_ACCEPTED)


class SentryIssueLinkTicketApi(APIView):
    """Link an existing ticket (by key or URL) to a Sentry issue."""

    permission_classes = [IsOrgStaff]

    @extend_schema(request=LinkTicketSerializer, responses={201: TicketLinkSerializer})
    def post(self, request, pk):
        issue = get_object_or_404(sentry_issue_list(organization=request.user.organization), pk=pk)
        serializer = LinkTicketSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.ticket_link_existing(
            source=issue, key_or_url=serializer.validated_data["ticket"]
        )
        return Response(TicketLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class BulkCreateTicketsSerializer(serializers.Serializer):
    issue_ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=500)
    tracker_project = IdField()


class SentryIssuesCreateTicketsApi(APIView):
    """Create tickets for many Sentry issues at once; issues already linked there are skipped."""

    permission_classes = [IsOrgStaff]

    @extend_schema(
        request=BulkCreateTicketsSerializer,
        responses={
            202: inline_serializer(
                "BulkCreateTicketsResult",
                {
                    "queued": serializers.ListField(child=serializers.IntegerField()),
                    "already_linked": serializers.ListField(child=serializers.IntegerField()),
                },
            )
        },
    )
    def post(self, request):
        serializer = BulkCreateTicketsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = _tracker_project(request, data["tracker_project"])
        issues = list(
            sentry_issue_list(organization=request.user.organization).filter(
                pk__in=data["issue_ids"]
            )
        )
        unknown = sorted(set(data["issue_ids"]) - {issue.pk for issue in issues})
        if unknown:
            return Response(
                {"issue_ids": [f"Unknown ids: {', '.join(map(str, unknown))}."]}, status=400
            )
        result = services.tickets_create_for_sources(sources=issues, tracker_project=project)
        return Response(
            {"queued": result.queued, "already_linked": result.already_linked},
            status=status.HTTP_202_ACCEPTED,
        )
