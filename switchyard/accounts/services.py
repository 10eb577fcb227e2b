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
    """Create a user with the admin access of their role (see ``user_apply_role``)."""
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
    )
    user.set_password(password)
    user.save()
    user_apply_role(user=user)
    return user


def user_apply_role(*, user: User) -> None:
    """Give a user exactly the admin access of their role: organization admins are staff in the
    organization admins group; everyone else has no admin access, groups or permissions.

    Superusers are left alone: the platform's operators are not governed by a tenant role.
    """
    if user.is_superuser:
        return
    is_admin = user.role == Role.ADMIN
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])
    user.groups.set([org_admin_group()] if is_admin else [])
    user.user_permissions.clear()
