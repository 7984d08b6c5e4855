import base64
import secrets
import time
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from core.crypto import secret_decrypt, secret_encrypt
from core.fields import EncryptedSecretField

# 160 bits, the seed length RFC 4226 recommends and authenticator apps expect.
SEED_BYTES = 20


class User(AbstractUser):
    """A staff account. Accounts that ever acted are deactivated, never deleted (the audit log keeps them)."""

    class Meta:
        verbose_name = _("konto pracownika")
        verbose_name_plural = _("konta pracowników")

    @property
    def audit_label(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    @property
    def role_names(self) -> list[str]:
        return [group.name for group in self.groups.all()]


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's authenticator app, the second factor: django-otp's TOTP device with its seed encrypted at
    rest (django-otp keeps it in the clear), like every other stored secret — under SECRETS_ENCRYPTION_KEYS,
    re-encrypted by `manage.py secrets_reencrypt`. Verification is django-otp's own (TOTP from django_otp.oath,
    throttling, drift and no replay of a used step)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("użytkownik"), on_delete=models.CASCADE, related_name="totp_devices"
    )
    key_encrypted = EncryptedSecretField(_("zaszyfrowany klucz"))
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("aplikacja uwierzytelniająca")
        verbose_name_plural = _("aplikacje uwierzytelniające")

    def save(self, *args, **kwargs):
        if not self.key_encrypted:
            self.key_encrypted = secret_encrypt(secrets.token_bytes(SEED_BYTES))
        super().save(*args, **kwargs)

    @property
    def bin_key(self) -> bytes:
        return secret_decrypt(self.key_encrypted)

    def verify_token(self, token) -> bool:
        verify_allowed, _reason = self.verify_is_allowed()
        if not verify_allowed:
            return False
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(token, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t, self.drift = totp.t(), totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self):
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def config_url(self) -> str:
        """The otpauth:// address an authenticator app scans (Google's Key Uri Format), with the issuer."""
        issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        secret = base64.b32encode(self.bin_key).decode()
        params = urlencode({"secret": secret, "algorithm": "SHA1", "digits": self.digits, "period": self.step})
        return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"
