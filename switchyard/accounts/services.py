"""Every write to tenants, people and sessions."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest

from switchyard.accounts.models import ApiToken, Organization, Role, User, Vendor
from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tokens import password_fingerprint
from switchyard.core.client_address import client_ip
from switchyard.core.exceptions import ValidationFailed


def token_login(*, request: HttpRequest, username: str, password: str) -> tuple[str, User]:
    """Check credentials (refused while the address or account is locked out) and issue a new
    API token for this login."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise ValidationFailed(
            "Invalid credentials.",
            fields={"non_field_errors": ["Unable to log in with the provided credentials."]},
        )
    secret = token_issue(
        user=user,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip_address=client_ip(request) or None,
    )
    return secret, user


def token_issue(*, user: User, user_agent: str = "", ip_address: str | None = None) -> str:
    """Issue an API token; its secret is returned this once and stored only as a digest."""
    _, secret = ApiToken.objects.create(
        user=user,
        password_fingerprint=password_fingerprint(user),
        user_agent=user_agent[: ApiToken._meta.get_field("user_agent").max_length],
        ip_address=ip_address,
    )
    return secret


def token_revoke(*, token: ApiToken) -> None:
    """Revoke one API token (a logout, or a person ending one of their sessions)."""
    token.delete()


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
