"""Login, logout, sessions, the current user, organizations, teams and the audit log."""

from __future__ import annotations

import django_filters
from django.contrib.auth import logout
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.accounts import selectors, services
from switchyard.accounts.models import ApiToken, AuditEntry, Organization, Team, User
from switchyard.core.api import IsOrgAdmin, IsOrgStaff


class OrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="display_name", read_only=True)
    organization = OrganizationBriefSerializer(read_only=True, allow_null=True)
    vendor = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "role",
            "organization",
            "vendor",
        ]
        read_only_fields = fields

    @extend_schema_field(
        inline_serializer(
            "VendorBrief",
            {"id": serializers.IntegerField(), "name": serializers.CharField()},
            allow_null=True,
        )
    )
    def get_vendor(self, user: User) -> dict | None:
        return {"id": user.vendor_id, "name": user.vendor.name} if user.vendor_id else None


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


LoginResponse = inline_serializer(
    "LoginResponse", {"token": serializers.CharField(), "user": UserSerializer()}
)


LoginLocked = inline_serializer(
    "LoginLocked", {"code": serializers.CharField(), "message": serializers.CharField()}
)


class LoginApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Each login issues a new token. It expires after a period without use (each use extends it)
    and when the password changes. Repeated failures lock the address and the account for a
    while: every login then answers 429 with `Retry-After`, even with the right password.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=LoginSerializer, responses={200: LoginResponse, 429: LoginLocked})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, user = services.token_login(request=request._request, **serializer.validated_data)
        return Response({"token": token, "user": UserSerializer(user).data})


class LogoutApi(APIView):
    """Revoke the caller's API token (or end the browser session it came with)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            services.token_revoke(token=request.auth)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiSessionSerializer(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry")
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "created_at", "expires_at", "user_agent", "ip_address", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        """Whether this is the token the request came with."""
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class ApiSessionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's API sessions (one per login), and revoking one of them.

    Tokens expire on their own; changing the password revokes them all.
    """

    queryset = ApiToken.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = ApiSessionSerializer
    filter_backends: list = []
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        return selectors.api_tokens_of(user=self.request.user)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.token_revoke(token=instance)


class MeApi(APIView):
    """The authenticated user, with role and organization."""

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "is_active", "created_at"]
        read_only_fields = fields


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organizations: staff see their own; customers see those they can raise issues with."""

    queryset = Organization.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = OrganizationSerializer
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return selectors.organizations_visible_to(user=self.request.user)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "members"]
        read_only_fields = fields


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams of the caller's organization."""

    permission_classes = [IsOrgStaff]
    queryset = Team.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = TeamSerializer
    search_fields = ["name", "slug"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return selectors.team_list(organization=self.request.user.organization)


class AuditActorSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields


class AuditEntrySerializer(serializers.ModelSerializer):
    action = serializers.SerializerMethodField()
    actor = AuditActorSerializer(read_only=True, allow_null=True)
    object_type = serializers.SerializerMethodField()
    object_id = serializers.CharField(source="object_pk")
    changes = serializers.JSONField(
        help_text="Per field, `[before, after]`; many-to-many fields say what was added or "
        "removed. Secrets are never recorded."
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "timestamp",
            "action",
            "actor",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "remote_addr",
        ]
        read_only_fields = fields

    def get_action(self, entry: AuditEntry) -> str:
        """create, update, delete or access."""
        return str(dict(AuditEntry.Action.choices)[entry.action])

    def get_object_type(self, entry: AuditEntry) -> str:
        """`app_label.model`, e.g. `products.product`."""
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


AUDIT_ACTIONS = {str(label): value for value, label in AuditEntry.Action.choices}


class AuditEntryFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        choices=[(label, label) for label in AUDIT_ACTIONS], method="filter_action"
    )
    object_type = django_filters.CharFilter(
        method="filter_object_type", help_text="`app_label.model`, e.g. `products.product`."
    )
    object_id = django_filters.CharFilter(field_name="object_pk")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id"]

    @extend_schema_field(serializers.ChoiceField(choices=list(AUDIT_ACTIONS)))
    def filter_action(self, queryset, name, value):
        return queryset.filter(action=AUDIT_ACTIONS[value])

    def filter_object_type(self, queryset, name, value):
        app_label, _, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The organization's audit log, newest first: who changed what, and when (organization
    admins only)."""

    permission_classes = [IsOrgAdmin]
    queryset = AuditEntry.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = AuditEntrySerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = AuditEntryFilter
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        return selectors.audit_entries_of(organization=self.request.user.organization)
