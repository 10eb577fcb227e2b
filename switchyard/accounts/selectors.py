"""Reads of tenants and people."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from switchyard.accounts.models import (
    STAFF_ROLES,
    ApiToken,
    AuditEntry,
    Order,
    Organization,
    Role,
    Team,
    User,
    Vendor,
)
from switchyard.accounts.tokens import password_fingerprint


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


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens that still work: not expired, issued under the current password."""
    return ApiToken.objects.filter(
        user=user, expiry__gt=timezone.now(), password_fingerprint=password_fingerprint(user)
    )


def audit_entries_of(*, organization: Organization) -> QuerySet[AuditEntry]:
    """The organization's audit log, newest first."""
    return AuditEntry.objects.filter(organization=organization).select_related(
        "actor", "content_type"
    )


def staff_list(*, organization: Organization) -> QuerySet[User]:
    """Active admins, employees and vendor staff of an organization: the people issues go to."""
    return User.objects.filter(
        organization=organization, role__in=STAFF_ROLES, is_active=True
    ).order_by("first_name", "last_name", "username")


def vendor_list(*, organization: Organization) -> QuerySet[Vendor]:
    return Vendor.objects.filter(organization=organization, is_active=True)


def customer_orders(*, customer: User, organization: Organization) -> QuerySet[Order]:
    """A customer's orders with one organization, newest first."""
    return Order.objects.filter(organization=organization, customer=customer)
