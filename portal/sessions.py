"""The portal's own sessions (SPEC POR): a patient's login lives in a cookie of its own, scoped to the portal's
prefix, in a session of its own. A staff session never lets anybody into the portal and a patient's session never
into the staff pages (those read `request.user`, which the portal never sets): on the portal's pages `request.user`
is anonymous whoever is logged in on the staff side, so nothing there (the audit, a template) can take a patient's
action for a staff member's."""

from functools import wraps
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect

from portal.models import PatientAccount

PREFIX = "/portal/"
ACCOUNT_KEY = "portal_account_id"
# The password hash's tail: a changed password (a reset) ends the account's other sessions.
HASH_KEY = "portal_account_hash"
# Sent by a page that asks the server by itself (the chat's polling, hx-headers): not the patient's activity.
POLL_HEADER = "X-Portal-Poll"

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def _account(request) -> PatientAccount | None:
    account_id = request.portal_session.get(ACCOUNT_KEY)
    if account_id is None:
        return None
    account = PatientAccount.objects.select_related("patient").filter(pk=account_id, is_active=True).first()
    if account is None or request.portal_session.get(HASH_KEY) != account.password[-16:]:
        request.portal_session.flush()
        return None
    return account


class PortalSessionMiddleware:
    """Gives requests under PREFIX `request.portal_session` and `request.patient_account` (None when nobody is
    logged in), read from and saved to the portal's cookie, idle-timed-out like the staff's, and an anonymous
    `request.user`. After the staff's authentication middleware, which it overrides there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        request.user = AnonymousUser()
        request.portal_session = SessionStore(request.COOKIES.get(settings.PORTAL_SESSION_COOKIE_NAME))
        request.patient_account = SimpleLazyObject(lambda: _account(request))
        response = self.get_response(request)
        self._save(request, response)
        return response

    @staticmethod
    def _save(request, response) -> None:
        session = request.portal_session
        name = settings.PORTAL_SESSION_COOKIE_NAME
        patch_vary_headers(response, ("Cookie",))
        if session.is_empty():
            if name in request.COOKIES:
                response.delete_cookie(name, path=PREFIX, samesite="Lax")
            return
        if response.status_code >= 500:
            return
        if request.headers.get(POLL_HEADER) and not session.modified:
            return  # an open page asking by itself is not the patient's activity: the idle timeout runs on
        session.set_expiry(settings.PORTAL_SESSION_IDLE_SECONDS)
        session.save()
        response.set_cookie(
            name,
            session.session_key,
            max_age=settings.PORTAL_SESSION_IDLE_SECONDS,
            path=PREFIX,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def portal_login(request, account: PatientAccount) -> None:
    """Start the patient's session under a new key (no fixation)."""
    session = request.portal_session
    session.cycle_key()
    session[ACCOUNT_KEY] = account.pk
    session[HASH_KEY] = account.password[-16:]
    account.last_login_at = timezone.now()
    account.save(update_fields=["last_login_at"])
    request.patient_account = account


def portal_logout(request) -> None:
    request.portal_session.flush()
    request.patient_account = None


def _to_login(request):
    url = f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}"
    if request.htmx:  # the whole page goes to the login, not the part htmx asked for
        return HttpResponseClientRedirect(url)
    return redirect(url)


def account_required(view):
    """A portal page for a logged-in patient whose e-mail is confirmed, linked to a record or not yet."""

    @login_not_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        account = request.patient_account
        if not account:
            return _to_login(request)
        if not account.is_verified:
            return redirect("portal:verify_pending")
        return view(request, *args, **kwargs)

    return wrapped


def patient_required(view):
    """A portal page of a patient's own data: the account must be linked to his record."""

    @account_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.patient_account.patient_id is None:
            return redirect("portal:link")
        return view(request, *args, **kwargs)

    return wrapped


def portal_public(view):
    """A portal page anybody may open (login, registration, a link from an e-mail)."""
    return login_not_required(view)
