"""Reads of tenants and people."""

from __future__ import annotations

from django.db.models import QuerySet

from switchyard.accounts.models import Organization, Team, User


def organizations_visible_to(*, user: User) -> QuerySet[Organization]:
    """Staff see their own organization; customers see every active one they may raise issues with."""
    if user.is_customer:
        return Organization.objects.filter(is_active=True)
    return Organization.objects.filter(pk=user.organization_id)


def team_list(*, organization: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=organization).prefetch_related("members")
