"""Login, logout, the current user, organizations and teams."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from switchyard.accounts import selectors, services
from switchyard.accounts.models import Organization, Team, User
from switchyard.core.api import IsOrgStaff
from switchyard.core.exceptions import ValidationFailed


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


class FailedLoginThrottle(ScopedRateThrottle):
    """Refuses a client's logins once it has failed too often (the "login" rate); successful
    logins do not count, so someone who signs in many times a day is never shut out."""

    def throttle_success(self) -> bool:
        return True  # a check alone is not an attempt to count

    def record_failure(self, request, view) -> None:
        if self.allow_request(request, view) and self.key is not None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)


class LoginApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [FailedLoginThrottle]
    throttle_scope = "login"

    @extend_schema(request=LoginSerializer, responses={200: LoginResponse})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token, user = services.token_login(
                request=request._request, **serializer.validated_data
            )
        except ValidationFailed:
            FailedLoginThrottle().record_failure(request, self)
            raise
        return Response({"token": token.key, "user": UserSerializer(user).data})


class LogoutApi(APIView):
    """Revoke the caller's API token."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.token_logout(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
