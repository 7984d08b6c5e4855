"""Staff accounts: roles, the two-step login and the TOTP second factor."""

import base64
import time

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login

from accounts.models import TOTPDevice, User
from accounts.roles import ROLE_PERMISSIONS
from core.crypto import secret_encrypt
from core.middleware import client_address
from core.models import AuditCategory, AuditOutcome
from core.ratelimit import ratelimit_hit, ratelimit_wait
from core.services import audit_record, audit_record_coalesced

PENDING_USER = "login_pending_user"
PENDING_BACKEND = "login_pending_backend"
PENDING_SINCE = "login_pending_since"
TOTP_DEVICE_NAME = "Aplikacja uwierzytelniająca"


def roles_sync() -> None:
    """Make each role's group hold exactly the permissions ROLE_PERMISSIONS gives it."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".", 1)
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def roles_sync_after_migrate(**kwargs) -> None:
    # Runs after each app's migrations; permissions of apps not yet migrated are picked up on a later call.
    roles_sync()


@transaction.atomic
def staff_user_create(
    *, username: str, password: str, role: str, first_name: str = "", last_name: str = "", email: str = ""
) -> User:
    user = User.objects.create_user(
        username=username, password=password, first_name=first_name, last_name=last_name, email=email
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_for_enrolment(user: User) -> TOTPDevice:
    """The unconfirmed device a first login enrols, made once and reused until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The device key as authenticator apps and oathtool take it."""
    return base64.b32encode(device.bin_key).decode()


def totp_device_set(*, user: User, secret_base32: str) -> TOTPDevice:
    """Give a user a confirmed device with a known secret (demo accounts only: others enrol with a QR code)."""
    TOTPDevice.objects.filter(user=user).delete()
    key_encrypted = secret_encrypt(base64.b32decode(secret_base32))
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key_encrypted=key_encrypted, confirmed=True)


def login_pending_start(request: HttpRequest, user: User) -> None:
    """The password was right: remember who is half-way through logging in, for the code step."""
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_BACKEND] = user.backend
    request.session[PENDING_SINCE] = time.time()


def login_pending_user(request: HttpRequest, *, max_age: int) -> User | None:
    since = request.session.get(PENDING_SINCE)
    if since is None or time.time() - since > max_age:
        login_pending_clear(request)
        return None
    return User.objects.filter(pk=request.session.get(PENDING_USER), is_active=True).first()


def login_pending_clear(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE):
        request.session.pop(key, None)


def login_complete(request: HttpRequest, *, user: User, device: TOTPDevice) -> None:
    backend = request.session.get(PENDING_BACKEND)
    login_pending_clear(request)
    auth.login(request, user, backend=backend)
    otp_login(request, device)
    audit_record(
        category=AuditCategory.SECURITY,
        action="login",
        message=_("Zalogowano do systemu (hasło i kod jednorazowy)."),
        actor=user,
        request=request,
    )


def totp_enrolment_confirm(request: HttpRequest, *, user: User, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        category=AuditCategory.SECURITY,
        action="otp_enrolled",
        message=_("Skonfigurowano drugi składnik logowania (aplikacja uwierzytelniająca)."),
        actor=user,
        request=request,
    )


def _address_failures(request: HttpRequest) -> str:
    return f"login_failures:{client_address(request)}"


def _cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def login_address_wait(request: HttpRequest) -> int | None:
    """The seconds the client's address must wait before it may try to log in again, once LOGIN_ADDRESS_FAILURE_LIMIT
    logins from it have failed within the cool-off window, whatever the usernames: one wrong password for each of many
    accounts (password spraying) never reaches the lockout of a username+address pair (django-axes)."""
    return ratelimit_wait(
        _address_failures(request), limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT, seconds=_cooloff_seconds()
    )


def login_throttled_record(request: HttpRequest, *, username: str) -> None:
    """Audit a login attempt held back by `login_address_wait`, once per window and address: anyone can send them."""
    audit_record_coalesced(
        category=AuditCategory.SECURITY,
        action="login_throttled",
        message=_("Logowanie z tego adresu wstrzymane po serii nieudanych prób na różne konta."),
        actor_label=username or "?",
        outcome=AuditOutcome.FAILURE,
        request=request,
    )


def login_failure_record(request: HttpRequest, *, username: str, reason: Promise, user: User | None = None) -> None:
    """Audit a failed login and count it against the client's address (`login_address_wait`); `reason` is lazy text
    (gettext_lazy), stored in the audit language. A username no account has is anyone's to make up, so those failures
    are recorded once per window and address (audit_record_coalesced)."""
    ratelimit_hit(_address_failures(request), seconds=_cooloff_seconds())
    known = user is not None or User.objects.filter(username=username).exists()
    record = audit_record if known else audit_record_coalesced
    record(
        category=AuditCategory.SECURITY,
        action="login_failed",
        message=reason,
        actor=user,
        actor_label=username or "?",
        outcome=AuditOutcome.FAILURE,
        request=request,
    )


def logout_complete(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        audit_record(
            category=AuditCategory.SECURITY, action="logout", message=_("Wylogowano z systemu."), request=request
        )
    auth.logout(request)
