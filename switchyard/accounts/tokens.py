"""API token authentication: knox's expiring, sliding tokens, refused once the password changed."""

from __future__ import annotations

from django.utils.crypto import constant_time_compare
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from switchyard.accounts.models import ApiToken, User


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does (Django binds browser sessions the same way)."""
    return user.get_session_auth_hash()


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`; each use extends the token's expiry (REST_KNOX)."""

    def validate_user(self, auth_token: ApiToken):
        user, token = super().validate_user(auth_token)
        if not constant_time_compare(token.password_fingerprint, password_fingerprint(user)):
            token.delete()
            raise AuthenticationFailed("Invalid token.")
        return user, token


class ApiTokenScheme(KnoxTokenScheme):
    """The token in the OpenAPI schema, under the name it always had."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"
