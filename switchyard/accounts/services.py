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
