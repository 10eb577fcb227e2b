"""Every write to tenants, people and sessions."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from switchyard.accounts.models import Organization, Role, User, Vendor
from switchyard.accounts.roles import org_admin_group
from switchyard.core.exceptions import ValidationFailed


def token_login(*, request: HttpRequest, username: str, password: str) -> tuple[Token, User]:
    """Check credentials and return the user's API token (created on first login)."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise ValidationFailed(
            "Invalid credentials.",
            fields={"non_field_errors": ["Unable to log in with the provided credentials."]},
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token, user


def token_logout(*, user: User) -> None:
    """Revoke the user's API token; the next login issues a new one."""
    Token.objects.filter(user=user).delete()


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    organization: Organization | None = None,
    vendor: Vendor | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user; organization admins also get access to the Django admin for their org."""
    if role != Role.CUSTOMER and organization is None:
        raise ValidationFailed(
            "Staff need an organization.",
            fields={"organization": ["Staff must belong to an organization."]},
        )
    if vendor is not None and (role != Role.VENDOR or vendor.organization_id != organization.id):
        raise ValidationFailed(
            "Vendor mismatch.",
            fields={"vendor": ["Only vendor staff of the same organization can have a vendor."]},
        )
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        organization=organization if role != Role.CUSTOMER else None,
        vendor=vendor,
        is_staff=role == Role.ADMIN,
    )
    user.set_password(password)
    user.save()
    if role == Role.ADMIN:
        user.groups.add(org_admin_group())
    return user
