"""Reads of tenants and people."""

from __future__ import annotations

from django.db.models import QuerySet

from switchyard.accounts.models import Organization, Role, Team, User


def organizations_visible_to(*, user: User) -> QuerySet[Organization]:
    """Staff see their own organization; customers see every active one they may raise issues with."""
    if user.is_customer:
        return Organization.objects.filter(is_active=True)
    return Organization.objects.filter(pk=user.organization_id)


def team_list(*, organization: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=organization).prefetch_related("members")


def customers_of(*, organization_id: int) -> QuerySet[User]:
    """Customers who have ordered from the organization (customers belong to no organization)."""
    return User.objects.filter(role=Role.CUSTOMER, orders__organization=organization_id).distinct()
