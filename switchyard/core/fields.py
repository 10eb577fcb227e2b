"""Model fields whose values are encrypted at rest (Fernet, with key rotation)."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "SWITCHYARD_ENCRYPTION_KEYS must hold url-safe base64 Fernet keys of 32 bytes."
        ) from exc


def fernet() -> MultiFernet:
    """The encrypter for the configured keys: the first key encrypts, every key decrypts."""
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token; Python code only ever sees the plain text.

    Lookups other than isnull cannot work on ciphertext, so don't filter on these fields.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                f"Cannot decrypt {self.model.__name__}.{self.name}: was the encryption key changed "
                "without keeping the old one in SWITCHYARD_ENCRYPTION_KEYS?"
            ) from exc
