"""REST endpoints for automation rules: CRUD, preview, run now, release, effectiveness."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.automation import engine, selectors, services
from switchyard.automation.models import AutomationRule, MinimumLevel, RuleMatch, RuleSource
from switchyard.core.api import IsOrgAdmin, IsOrgStaff, IsOrgStaffReadingOrAdmin
from switchyard.monitoring.models import SentryProject
from switchyard.products.models import Product
from switchyard.support.models import IssueCategory, IssuePriority
from switchyard.trackers.models import LocalPriority, TrackerProject

PREVIEW_SIZE = 50

# -- input -------------------------------------------------------------------------------------


class ScopeInput(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), allow_null=True, required=False
    )
    sentry_projects = serializers.PrimaryKeyRelatedField(
        queryset=SentryProject.objects.select_related("connection"), many=True, required=False
    )


class ConditionsInput(serializers.Serializer):
    new_issues_only = serializers.BooleanField(required=False)
    min_level = serializers.ChoiceField(
        choices=MinimumLevel.choices, allow_blank=True, required=False
    )
    min_events = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    min_users = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    regressions_only = serializers.BooleanField(required=False)
    text_contains = serializers.CharField(max_length=200, allow_blank=True, required=False)
    min_priority = serializers.ChoiceField(
        choices=IssuePriority.choices, allow_blank=True, required=False
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=IssueCategory.choices), required=False
    )
    client_raised_only = serializers.BooleanField(required=False)


class ActionInput(serializers.Serializer):
    tracker_project = serializers.PrimaryKeyRelatedField(
        queryset=TrackerProject.objects.select_related("connection"),
        allow_null=True,
        required=False,
        help_text="Empty: the tracker project mapped to the issue's product.",
    )
    issue_type = serializers.CharField(max_length=60, allow_blank=True, required=False)
    priority = serializers.ChoiceField(
        choices=LocalPriority.choices, allow_blank=True, required=False
    )
    labels = serializers.ListField(
        child=serializers.RegexField(r"^\S+$", max_length=100), required=False
    )
    assignee_email = serializers.EmailField(allow_blank=True, required=False)
    title_template = serializers.CharField(max_length=500, allow_blank=True, required=False)
    description_template = serializers.CharField(allow_blank=True, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                "Say what the rule does: at least one of "
                + ", ".join(self.fields)
                + " (a null tracker_project uses the project mapped to the issue's product)."
            )
        return attrs


class RuleInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False)
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    source = serializers.ChoiceField(choices=RuleSource.choices, required=False)
    hourly_ceiling = serializers.IntegerField(min_value=1, required=False)
    scope = ScopeInput(required=False)
    conditions = ConditionsInput(required=False)
    action = ActionInput()

    def flat(self) -> dict:
        """The validated body as rule fields."""
        data = dict(self.validated_data)
        for group in ("scope", "conditions", "action"):
            data.update(data.pop(group, {}))
        return data


class PreviewInput(RuleInput):
    name = serializers.CharField(max_length=200, required=False)


class RunInput(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="Must be true: the run creates tickets.")

    def validate_confirm(self, value):
        if not value:
            raise serializers.ValidationError("Confirm the run: it creates tickets.")
        return value


# -- output ------------------------------------------------------------------------------------


class ScopeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AutomationRule
        fields = list(services.GROUPS["scope"])
        read_only_fields = fields


class ConditionsSerializer(serializers.ModelSerializer):
    # Read-only model fields lose allow_blank; declared, the schema admits "" (no condition).
    min_level = serializers.ChoiceField(
        choices=MinimumLevel.choices, allow_blank=True, read_only=True
    )
    min_priority = serializers.ChoiceField(
        choices=IssuePriority.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = AutomationRule
        fields = list(services.GROUPS["conditions"])
        read_only_fields = fields


class ActionSerializer(serializers.ModelSerializer):
    priority = serializers.ChoiceField(
        choices=LocalPriority.choices, allow_blank=True, read_only=True
    )
    assignee_email = serializers.EmailField(
        allow_blank=True, read_only=True, help_text="Empty: nobody."
    )

    class Meta:
        model = AutomationRule
        fields = list(services.GROUPS["action"])
        read_only_fields = fields


class FailureSerializer(serializers.ModelSerializer):
    source_type = serializers.CharField(source="source_type.model", read_only=True)

    class Meta:
        model = RuleMatch
        fields = ["source_type", "source_id", "link", "error", "decided_at"]
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    scope = ScopeSerializer(source="*", read_only=True)
    conditions = ConditionsSerializer(source="*", read_only=True)
    action = ActionSerializer(source="*", read_only=True)
    paused = serializers.BooleanField(source="is_paused", read_only=True)
    matched = serializers.IntegerField(read_only=True)
    created = serializers.IntegerField(read_only=True)
    skipped = serializers.IntegerField(read_only=True)
    throttled = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)

    class Meta:
        model = AutomationRule
        fields = [
            "id",
            "name",
            "description",
            "active",
            "paused",
            "pause_reason",
            "position",
            "source",
            "hourly_ceiling",
            "scope",
            "conditions",
            "action",
            "activated_at",
            "last_fired_at",
            "consecutive_failures",
            "matched",
            "created",
            "skipped",
            "throttled",
            "failed",
        ]
        read_only_fields = fields


class RuleDetailSerializer(RuleSerializer):
    recent_failures = serializers.SerializerMethodField(
        help_text="The latest ticket creations that failed for good, with the tracker's words."
    )

    class Meta(RuleSerializer.Meta):
        fields = [*RuleSerializer.Meta.fields, "recent_failures"]
        read_only_fields = fields

    @extend_schema_field(FailureSerializer(many=True))
    def get_recent_failures(self, rule):
        return FailureSerializer(selectors.rule_recent_failures(rule=rule), many=True).data


class MatchSerializer(serializers.Serializer):
    """One issue a rule matched and what the rule does (or did) with it."""

    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="The Sentry short id or the issue number.")
    title = serializers.CharField()
    outcome = serializers.ChoiceField(choices=RuleMatch.Outcome.choices)
    tracker_project = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class OutcomeCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    throttled = serializers.IntegerField()
    failed = serializers.IntegerField()


class MatchesSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Issues matched that no rule has taken yet.")
    truncated = serializers.BooleanField(
        help_text=f"More than {engine.RUN_LIMIT} matched; a run takes the first {engine.RUN_LIMIT}."
    )
    outcomes = OutcomeCountsSerializer()
    results = MatchSerializer(many=True, help_text=f"The first {PREVIEW_SIZE} matches.")


class RunResultSerializer(MatchesSerializer):
    claimed = serializers.IntegerField(help_text="Matches another rule or worker took first.")


class StatsSerializer(serializers.Serializer):
    matches = serializers.IntegerField()
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    throttled = serializers.IntegerField()
    failed = serializers.IntegerField()
    reached_done = serializers.IntegerField()
    median_seconds_to_done = serializers.FloatField(allow_null=True)
    last_fired_at = serializers.DateTimeField(allow_null=True)


class ReleasedSerializer(serializers.Serializer):
    released = serializers.IntegerField()


def _matches_body(decisions: list[engine.Decision], truncated: bool) -> dict:
    outcomes = {name: 0 for name in RuleMatch.Outcome.values}
    for decision in decisions:
        outcomes[decision.outcome] += 1
    return {
        "count": len(decisions),
        "truncated": truncated,
        "outcomes": outcomes,
        "results": [
            {
                "id": d.issue.pk,
                "reference": d.reference,
                "title": d.issue.title,
                "outcome": d.outcome,
                "tracker_project": d.project.key if d.project else None,
                "error": d.error,
            }
            for d in decisions[:PREVIEW_SIZE]
        ],
    }


# -- views -------------------------------------------------------------------------------------


class AutomationRuleViewSet(viewsets.ModelViewSet):
    """Rules that turn issues into tickets; organization admins write, staff read."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = AutomationRule.objects.none()
    serializer_class = RuleSerializer
    filterset_fields = ["active", "source", "product", "tracker_project"]
    search_fields = ["name", "description"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.rule_list(organization=self.request.user.organization)

    def get_serializer_class(self):
        return RuleDetailSerializer if self.action == "retrieve" else RuleSerializer

    def _answer(self, rule: AutomationRule, code: int = status.HTTP_200_OK) -> Response:
        return Response(RuleDetailSerializer(self.get_queryset().get(pk=rule.pk)).data, status=code)

    @extend_schema(request=RuleInput, responses={201: RuleDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = RuleInput(data=request.data)
        body.is_valid(raise_exception=True)
        rule = services.rule_create(organization=request.user.organization, fields=body.flat())
        return self._answer(rule, status.HTTP_201_CREATED)

    @extend_schema(request=RuleInput, responses=RuleDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        body = RuleInput(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        rule = services.rule_update(rule=self.get_object(), fields=body.flat())
        return self._answer(rule)

    def perform_destroy(self, instance):
        services.rule_delete(rule=instance)

    @extend_schema(request=RunInput, responses=RunResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsOrgAdmin])
    def run(self, request, pk=None):
        """Run the rule over existing issues now: exactly what its preview lists."""
        RunInput(data=request.data).is_valid(raise_exception=True)
        decisions, truncated, tally = engine.rule_run(rule=self.get_object())
        body = _matches_body(decisions, truncated)
        body["outcomes"] = {name: tally.counts.get(name, 0) for name in RuleMatch.Outcome.values}
        body["claimed"] = tally.counts.get("claimed", 0)
        return Response(body)

    @extend_schema(request=None, responses=ReleasedSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsOrgAdmin])
    def release(self, request, pk=None):
        """Create the tickets the hourly ceiling held back."""
        return Response({"released": engine.rule_release(rule=self.get_object(), by_person=True)})

    @extend_schema(responses=StatsSerializer)
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        """How effective the rule is."""
        return Response(StatsSerializer(selectors.rule_stats(rule=self.get_object())).data)


class AutomationRulePreviewApi(APIView):
    """What an (unsaved) rule would do now: how many tickets, and the first matches."""

    permission_classes = [IsOrgStaff]

    @extend_schema(request=PreviewInput, responses=MatchesSerializer)
    def post(self, request):
        body = PreviewInput(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.flat()
        fields.pop("name", None)  # a preview is not saved: its name may be an existing rule's
        rule, projects = services.rule_build(organization=request.user.organization, fields=fields)
        decisions, truncated = engine.rule_preview(rule=rule, project_ids=[p.pk for p in projects])
        return Response(_matches_body(decisions, truncated))
