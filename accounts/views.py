"""Staff login in two steps (password, then a TOTP code; a first login enrols the code with a QR), and logout."""

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth import user_login_failed
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import TokenForm
from core.qr import qr_svg

NEXT = "login_next"


@never_cache
@csrf_protect
@sensitive_post_parameters("password")
@login_not_required
def login(request):
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.method == "POST" and (wait := services.login_address_wait(request)):
        services.login_throttled_record(request, username=request.POST.get("username", ""))
        response = render(request, "accounts/login_throttled.html", {"minutes": math.ceil(wait / 60)}, status=429)
        response["Retry-After"] = str(wait)
        return response
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            services.login_pending_start(request, user)
            _remember_next(request)
            if services.totp_device_confirmed(user):
                return redirect("login_verify")
            return redirect("login_enrol")
        username = request.POST.get("username", "")
        if getattr(request, "axes_locked_out", False):
            services.login_failure_record(
                request, username=username, reason=gettext_lazy("Logowanie zablokowane po serii nieudanych prób.")
            )
        else:
            services.login_failure_record(
                request,
                username=username,
                reason=gettext_lazy("Nieudane logowanie: błędne hasło lub nazwa użytkownika."),
            )
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@never_cache
@csrf_protect
@login_not_required
def login_verify(request):
    user = services.login_pending_user(request, max_age=settings.LOGIN_SECOND_STEP_SECONDS)
    device = services.totp_device_confirmed(user) if user else None
    if device is None:
        return redirect("login")
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        services.login_pending_clear(request)
        return get_lockout_response(request, credentials=credentials)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        error = _token_error(device, form.cleaned_data["token"])
        if error is None:
            services.login_complete(request, user=user, device=device)
            return redirect(_next_url(request))
        form.add_error("token", error)
        return _token_failed(request, user, credentials, "accounts/login_verify.html", {"form": form})
    return render(request, "accounts/login_verify.html", {"form": form})


@never_cache
@csrf_protect
@login_not_required
def login_enrol(request):
    user = services.login_pending_user(request, max_age=settings.LOGIN_SECOND_STEP_SECONDS)
    if user is None or services.totp_device_confirmed(user):
        return redirect("login")
    device = services.totp_device_for_enrolment(user)
    credentials = {"username": user.get_username()}
    form = TokenForm(request.POST or None)
    context = {
        "form": form,
        "qr_svg": qr_svg(device.config_url),
        "secret": services.totp_secret_base32(device),
    }
    if request.method == "POST" and form.is_valid():
        error = _token_error(device, form.cleaned_data["token"])
        if error is None:
            services.totp_enrolment_confirm(request, user=user, device=device)
            services.login_complete(request, user=user, device=device)
            return redirect(_next_url(request))
        form.add_error("token", error)
        return _token_failed(request, user, credentials, "accounts/login_enrol.html", context)
    return render(request, "accounts/login_enrol.html", context)


def _token_error(device, token):
    """None when the code is right; otherwise what to tell the user (django-otp slows down repeated guesses)."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return _("Zbyt wiele prób w krótkim czasie. Odczekaj chwilę i wpisz nowy kod.")
    if device.verify_token(token):
        return None
    return _("Nieprawidłowy kod. Sprawdź, czy godzina w telefonie jest prawidłowa, i wpisz aktualny kod.")


def _token_failed(request, user, credentials, template, context):
    """A wrong code counts toward the same lockout as a wrong password."""
    services.login_failure_record(
        request,
        username=user.get_username(),
        user=user,
        reason=gettext_lazy("Nieudane logowanie: błędny kod jednorazowy."),
    )
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_locked(request, credentials):
        services.login_pending_clear(request)
        return get_lockout_response(request, credentials=credentials)
    return render(request, template, context)


@require_POST
@login_not_required
def logout(request):
    services.logout_complete(request)
    return redirect("login")


def _remember_next(request):
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        request.session[NEXT] = next_url


def _next_url(request):
    return request.session.pop(NEXT, None) or settings.LOGIN_REDIRECT_URL
