"""The patient's account pages under /portal/: registration, the e-mail's confirmation, login and logout, a new
password, and linking the account to the clinic's record. The rules are portal.accounts'; these only call them."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from portal import accounts
from portal.account_forms import (
    ActivationCodeForm,
    EmailForm,
    LinkChannelForm,
    LinkCodeForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
)
from portal.models import CodePurpose
from portal.sessions import PREFIX, account_required, portal_login, portal_logout, portal_public


def _next_url(request, candidate: str) -> str:
    """Where to go after logging in: the portal page asked for, never an address elsewhere or a staff page."""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if safe and candidate.startswith(PREFIX) else reverse("portal:home")


def _render(request, template, context, *, refused: DomainError | None = None, status: int = 200):
    """The page; a throttled request answers 429 with Retry-After."""
    if isinstance(refused, accounts.Throttled):
        response = render(request, template, context, status=429)
        response["Retry-After"] = str(refused.wait)
        return response
    return render(request, template, context, status=status)


@portal_public
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login(request):
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.patient_account:
        return redirect(_next_url(request, next_url))
    form = LoginForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.account_authenticate(**form.cleaned_data, request=request)
        except DomainError as error:
            refused = error
            form.add_error(None, error.message)
        else:
            portal_login(request, account)
            return redirect(_next_url(request, next_url))
    return _render(request, "portal/login.html", {"form": form, "next": next_url}, refused=refused)


@portal_public
@require_POST
def logout(request):
    portal_logout(request)
    return redirect("portal:login")


@portal_public
@never_cache
@sensitive_post_parameters("password", "password_again")
@require_http_methods(["GET", "POST"])
def register(request):
    if request.patient_account:
        return redirect("portal:home")
    form = RegisterForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.account_register(
                email=data["email"],
                password=data["password"],
                pesel=data["pesel"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                request=request,
            )
        except DomainError as error:
            refused = error
            form.add_error(None, error.message)
        else:
            return redirect("portal:verify_pending")
    return _render(request, "portal/register.html", {"form": form}, refused=refused)


@portal_public
@never_cache
@require_http_methods(["GET", "POST"])
def verify_pending(request):
    """ "Sprawdź skrzynkę…" after registering, where a new link can be asked for."""
    account = request.patient_account
    form = EmailForm(request.POST or None, initial={"email": account.email if account else ""})
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            accounts.account_verification_resend(email=form.cleaned_data["email"], request=request)
        except DomainError as error:
            refused = error
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Jeśli konto o tym adresie czeka na potwierdzenie, wysłaliśmy na niego nowy link.")
            )
            return redirect("portal:verify_pending")
    context = {"form": form, "hours": int(accounts.VERIFY_LINK_VALID.total_seconds() // 3600)}
    return _render(request, "portal/verify_pending.html", context, refused=refused)


@portal_public
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, token):
    """The link from the e-mail opens a page whose button confirms: a mail program that opens links to check them
    must not use the link up (nor log itself in)."""
    if request.method == "GET":
        valid = accounts.token_account(token=token, purpose=CodePurpose.VERIFY_EMAIL) is not None
        return render(request, "portal/verify_done.html", {"valid": valid}, status=200 if valid else 404)
    try:
        account = accounts.account_verify(token=token)
    except DomainError:
        return render(request, "portal/verify_done.html", {"valid": False}, status=404)
    portal_login(request, account)
    messages.success(request, _("Adres e-mail potwierdzony."))
    return redirect("portal:link")


@portal_public
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = EmailForm(request.POST or None)
    minutes = int(accounts.RESET_LINK_VALID.total_seconds() // 60)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            accounts.password_reset_request(email=form.cleaned_data["email"], request=request)
        except DomainError as error:
            refused = error
            form.add_error(None, error.message)
        else:
            return render(request, "portal/password_reset_sent.html", {"minutes": minutes})
    return _render(request, "portal/password_reset.html", {"form": form, "minutes": minutes}, refused=refused)


@portal_public
@never_cache
@sensitive_post_parameters("password", "password_again")
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request, token):
    account = accounts.token_account(token=token, purpose=CodePurpose.PASSWORD_RESET)
    if account is None:
        return render(request, "portal/password_reset_confirm.html", {"valid": False}, status=404)
    form = NewPasswordForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.password_reset_complete(token=token, password=form.cleaned_data["password"], request=request)
        except DomainError:
            return render(request, "portal/password_reset_confirm.html", {"valid": False}, status=404)
        portal_logout(request)
        messages.success(request, _("Ustawiono nowe hasło. Zaloguj się nim."))
        return redirect("portal:login")
    return render(request, "portal/password_reset_confirm.html", {"valid": True, "form": form, "account": account})


@account_required
@never_cache
@require_http_methods(["GET", "POST"])
def link(request):
    """Połącz z kartą pacjenta: a code to the record's e-mail or phone, the reception's activation code, or — when no
    record has the patient's PESEL — a new record from his registration data."""
    account = request.patient_account
    if account.patient_id:
        return redirect("portal:home")
    choice = accounts.link_choice(account=account)
    channel_form = LinkChannelForm(email=choice.email, phone=choice.phone)
    activation_form = ActivationCodeForm()
    refused = None
    action = request.POST.get("action")
    try:
        if action == "send":
            channel_form = LinkChannelForm(request.POST, email=choice.email, phone=choice.phone)
            if channel_form.is_valid():
                accounts.link_code_send(account=account, channel=channel_form.cleaned_data["channel"], request=request)
                return redirect("portal:link_code")
        elif action == "activation":
            activation_form = ActivationCodeForm(request.POST)
            if activation_form.is_valid():
                accounts.link_activation_confirm(
                    account=account, code=activation_form.cleaned_data["activation_code"], request=request
                )
                return _linked(request)
        elif action == "create":
            accounts.link_record_create(account=account, request=request)
            return _linked(request)
    except DomainError as error:
        refused = error
        if action != "create":
            (activation_form if action == "activation" else channel_form).add_error(None, error.message)
    context = {
        "choice": choice,
        "channel_form": channel_form,
        "activation_form": activation_form,
        "create_error": refused.message if refused is not None and action == "create" else "",
    }
    return _render(request, "portal/link.html", context, refused=refused, status=200 if refused is None else 422)


@account_required
@never_cache
@require_http_methods(["GET", "POST"])
def link_code(request):
    """The six digits sent to the record's e-mail or phone."""
    account = request.patient_account
    if account.patient_id:
        return redirect("portal:home")
    form = LinkCodeForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            accounts.link_code_confirm(account=account, code=form.cleaned_data["code"], request=request)
        except DomainError as error:
            refused = error
            form.add_error(None, error.message)
        else:
            return _linked(request)
    context = {"form": form, "minutes": int(accounts.LINK_CODE_VALID.total_seconds() // 60)}
    return _render(request, "portal/link_code.html", context, refused=refused, status=200 if refused is None else 422)


def _linked(request):
    messages.success(request, _("Konto połączone z Twoją kartą pacjenta."))
    return redirect("portal:home")
