"""Model fields shared by every app."""

from django.db import models


class EncryptedSecretField(models.TextField):
    """A secret stored as a core.crypto `secret_encrypt` token, never in the clear. The field itself only marks it:
    the services encrypt and decrypt, and `secrets_reencrypt` finds every such field of every model to re-encrypt it
    after a key rotation (docs/security.md)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)
