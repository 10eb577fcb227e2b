"""An organization as the REST contract shows it, with the team its customer issues go to."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.accounts.models import Organization
from switchyard.accounts.selectors import organizations_visible_to
from switchyard.core.api import IsOrgAdmin
from switchyard.support import services


class OrganizationSupportSerializer(serializers.ModelSerializer):
    linear_team_id = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "is_active", "created_at", "linear_team_id"]
        read_only_fields = fields

    def get_linear_team_id(self, organization) -> str | None:
        return services.organization_linear_team_id(organization=organization)


class LinearTeamSerializer(serializers.Serializer):
    linear_team_id = serializers.CharField(max_length=100, allow_blank=True)


class OrganizationDetailApi(APIView):
    """An organization (GET, anyone who can see it); its Linear team (PATCH, its admins)."""

    def get_permissions(self):
        return [IsOrgAdmin()] if self.request.method == "PATCH" else super().get_permissions()

    @extend_schema(responses=OrganizationSupportSerializer)
    def get(self, request, pk):
        organization = get_object_or_404(organizations_visible_to(user=request.user), pk=pk)
        return Response(OrganizationSupportSerializer(organization).data)

    @extend_schema(request=LinearTeamSerializer, responses=OrganizationSupportSerializer)
    def patch(self, request, pk):
        organization = get_object_or_404(organizations_visible_to(user=request.user), pk=pk)
        serializer = LinearTeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.organization_set_linear_team(
            organization=organization, **serializer.validated_data
        )
        return Response(OrganizationSupportSerializer(organization).data)
