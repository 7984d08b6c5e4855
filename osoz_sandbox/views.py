"""HTML pages of the sandbox: the Provider Service ("Serwis Świadczeniodawcy OSOZ") with the configuration wizard,
the patient site in the manner of LekarzeBezKolejki.pl with booking and cancellation, the embeddable doctor widgets
(manual §3.3), the notifications outbox (SBX-7) and the fault simulation (SBX-8)."""

import datetime
import ipaddress
import json
import uuid
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from osoz_sandbox import bookings, faults, insurers, outbox, registrations, selectors, services
from osoz_sandbox.contract import parse_date
from osoz_sandbox.forms import (
    BookingForm,
    CancelForm,
    ConnectForm,
    DomainsForm,
    FaultSettingsForm,
    SearchForm,
    SettingsForm,
    WidgetForm,
)
from osoz_sandbox.models import (
    ApiClient,
    BookingChannel,
    BookingStatus,
    Doctor,
    Entity,
    Insurer,
    Location,
    Schedule,
    Slot,
    Widget,
    WidgetKind,
)

TIMETABLE_DAYS = 7


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "osoz_sandbox/home.html", {"insurers": Insurer.objects.all()})


# --- Provider Service ----------------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "osoz_sandbox/provider/login.html"
    redirect_authenticated_user = True


def provider_required(view):
    """Only a logged-in Provider Service account; the entity it administers is passed to the view."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        entity = selectors.entity_for_user(request.user)
        if entity is None:
            return render(request, "osoz_sandbox/provider/no_entity.html", status=403)
        return view(request, entity, *args, **kwargs)

    return wrapper


def text_download(text: str, filename: str) -> HttpResponse:
    """A document of the Provider Service (regulations) as the text file „Pobierz regulamin” gives."""
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@provider_required
def provider_home(request: HttpRequest, entity) -> HttpResponse:
    """Rejestracja on-line > Informacje: the connection and what the clinic has published."""
    context = {
        "entity": entity,
        "client": ApiClient.objects.filter(entity=entity, revoked_at=None).first(),
        "locations": Location.objects.filter(entity=entity, deleted=False).prefetch_related("cells"),
        "doctors": Doctor.objects.filter(entity=entity, deleted=False).prefetch_related("specialisations"),
        "schedules": Schedule.objects.filter(entity=entity, deleted=False),
        "slot_count": Slot.objects.filter(day__entity=entity, day__date__gte=timezone.localdate()).count(),
    }
    return render(request, "osoz_sandbox/provider/home.html", context)


@provider_required
@require_http_methods(["GET", "POST"])
def provider_settings(request: HttpRequest, entity) -> HttpResponse:
    """Rejestracja on-line > Ustawienia (Tabela 4)."""
    insurers_before = entity.insurers_online_registration
    form = SettingsForm(request.POST or None, instance=entity)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Zapisano ustawienia usługi rejestracji on-line.")
        if entity.insurers_online_registration and not insurers_before:
            messages.info(
                request,
                "Włączono rejestrację on-line dla Ubezpieczycieli. Usługa będzie automatycznie włączana także dla "
                "nowych Ubezpieczycieli, z którymi zostanie nawiązana współpraca.",
            )
        return redirect("provider_settings")
    context = {"entity": entity, "form": form, "cooperating": insurers.active_insurers(entity)}
    return render(request, "osoz_sandbox/provider/settings.html", context)


@provider_required
@require_http_methods(["GET", "POST"])
def provider_widgets(request: HttpRequest, entity) -> HttpResponse:
    """Rejestracja on-line > Widgety: allowed domains first, then widgets of Tabela 5."""
    domains_form = DomainsForm(instance=entity)
    widget_form = WidgetForm(entity=entity)
    if request.method == "POST" and "save_domains" in request.POST:
        domains_form = DomainsForm(request.POST, instance=entity)
        if domains_form.is_valid():
            domains_form.save()
            messages.success(request, "Zapisano domeny widgetów.")
            return redirect("provider_widgets")
    elif request.method == "POST":
        widget_form = WidgetForm(request.POST, entity=entity)
        if not entity.allowed_domains:
            messages.error(request, "Najpierw wprowadź i zapisz domenę, w której ma być dostępny widget.")
        elif widget_form.is_valid():
            widget = widget_form.save(commit=False)
            widget.entity = entity
            widget.save()
            return redirect("provider_widget_code", pk=widget.pk)
    doctors = {d.doctor_id: d for d in Doctor.objects.filter(entity=entity)}
    widgets = [(widget, doctors.get(widget.doctor_id)) for widget in entity.widgets.all()]
    context = {"entity": entity, "domains_form": domains_form, "widget_form": widget_form, "widgets": widgets}
    return render(request, "osoz_sandbox/provider/widgets.html", context)


@provider_required
def provider_widget_code(request: HttpRequest, entity, pk: int) -> HttpResponse:
    """ "Pokaż kod": the embed code of a widget, and a preview where this host is an allowed domain."""
    widget = get_object_or_404(Widget, pk=pk, entity=entity)
    src = request.build_absolute_uri(reverse("widget", args=[widget.pk]))
    height = {WidgetKind.DOCTOR_BUTTON: 60, WidgetKind.DOCTOR_TIMETABLE: 480}.get(widget.kind, 320)
    code = (
        f'<iframe src="{src}" title="{widget.get_kind_display()} – rejestracja on-line OSOZ" '
        f'width="100%" height="{height}" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )
    context = {
        "entity": entity,
        "widget": widget,
        "code": code,
        "src": src,
        "height": height,
        "preview": _domain_allowed(request.get_host().rsplit(":", 1)[0], entity.allowed_domains),
    }
    return render(request, "osoz_sandbox/provider/widget_code.html", context)


# --- Configuration wizard (manual §3.1) ----------------------------------------------------------------------------


def _wizard_params(request: HttpRequest) -> tuple[str, str] | None:
    return_url, state = request.GET.get("return_url", ""), request.GET.get("state", "")
    parts = urlsplit(return_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(return_url) > 2000:
        return None
    if not 8 <= len(state) <= 500:
        return None
    return return_url, state


def _back_to_product(return_url: str, **params: str) -> HttpResponseRedirect:
    separator = "&" if urlsplit(return_url).query else "?"
    return HttpResponseRedirect(f"{return_url}{separator}{urlencode(params)}")


def connect(request: HttpRequest) -> HttpResponse:
    """Where the product's "Kreator konfiguracji systemu OSOZ" sends the administrator."""
    params = _wizard_params(request)
    if params is None:
        return render(request, "osoz_sandbox/provider/connect_invalid.html", status=400)
    query = urlencode({"return_url": params[0], "state": params[1]})
    if request.user.is_authenticated:
        return redirect(f"{reverse('connect_confirm')}?{query}")
    next_url = f"{reverse('connect')}?{query}"
    form = AuthenticationForm(request)
    return render(request, "osoz_sandbox/provider/login.html", {"form": form, "next": next_url, "wizard": True})


@provider_required
@require_http_methods(["GET", "POST"])
def connect_confirm(request: HttpRequest, entity) -> HttpResponse:
    params = _wizard_params(request)
    if params is None:
        return render(request, "osoz_sandbox/provider/connect_invalid.html", status=400)
    return_url, state = params
    if request.method == "POST" and "cancel" in request.POST:
        return _back_to_product(return_url, error="access_denied", state=state)
    form = ConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = services.connect_code_issue(entity=entity, return_url=return_url)
        return _back_to_product(return_url, code=code, state=state)
    context = {"entity": entity, "form": form, "return_host": urlsplit(return_url).netloc}
    return render(request, "osoz_sandbox/provider/connect_confirm.html", context)


# --- Patient site (LekarzeBezKolejki.pl) ---------------------------------------------------------------------------


def lbk_search(request: HttpRequest) -> HttpResponse:
    specialisations, cities = selectors.search_choices()
    form = SearchForm(request.GET or None, specialisations=specialisations, cities=cities)
    cards = None
    if form.is_valid():
        cards = selectors.patient_doctors(
            specialisation=form.cleaned_data["specjalizacja"],
            city=form.cleaned_data["miejscowosc"],
            name=form.cleaned_data["lekarz"],
        )
    elif not form.is_bound:
        cards = selectors.patient_doctors()
    return render(request, "osoz_sandbox/lbk/search.html", {"form": form, "cards": cards})


def lbk_clinic(request: HttpRequest, entity_id: str) -> HttpResponse:
    """The clinic's card (wizytówka placówki), doctors grouped by poradnia when the setting is on."""
    entity = get_object_or_404(Entity, entity_id=entity_id, online_registration=True)
    cards = selectors.patient_doctors(entity=entity)
    groups = selectors.clinic_groups(cards) if entity.group_by_clinic else None
    context = {"entity": entity, "address": selectors.clinic_address(entity), "cards": cards, "groups": groups}
    return render(request, "osoz_sandbox/lbk/clinic.html", context)


def lbk_doctor(request: HttpRequest, entity_id: str, doctor_id: str) -> HttpResponse:
    """The doctor's card: description, specialisations, places and the timetable of free slots."""
    card = selectors.patient_doctor(entity_id=entity_id, doctor_id=doctor_id)
    if card is None:
        raise Http404("Nie ma takiego lekarza albo nie przyjmuje rejestracji on-line.")
    today = timezone.localdate()
    date_from = max(parse_date(request.GET.get("od", "")) or today, today)
    context = {
        "card": card,
        "timetable": selectors.doctor_timetable(card, date_from=date_from, days=TIMETABLE_DAYS),
        "previous": date_from - datetime.timedelta(days=TIMETABLE_DAYS) if date_from > today else None,
        "next": date_from + datetime.timedelta(days=TIMETABLE_DAYS),
        "schedules": [schedule for schedule, _place in selectors.offered_schedules(card).values()],
    }
    return render(request, "osoz_sandbox/lbk/doctor.html", context)


# The slot's start in booking links: local time with its offset, e.g. 20261124-0815+0100 (unambiguous across DST).
SLOT_MOMENT_FORMAT = "%Y%m%d-%H%M%z"
NOTIFICATIONS_PER_PAGE = 50
NOTIFICATIONS_JSON_LIMIT = 100
NOTIFICATIONS_JSON_MAX = 1000


def slot_moment(raw: str) -> datetime.datetime | None:
    """The start of a slot from a link (SLOT_MOMENT_FORMAT), or None."""
    try:
        return datetime.datetime.strptime(raw, SLOT_MOMENT_FORMAT)
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def lbk_booking_new(request: HttpRequest, entity_id: str, doctor_id: str, schedule_id: str, moment: str):
    """The booking form of one free slot; on success the patient's booking page (or, with Rejestracja wieloetapowa,
    the request to confirm by e-mail)."""
    card = selectors.patient_doctor(entity_id=entity_id, doctor_id=doctor_id)
    starts_at = slot_moment(moment)
    offered = selectors.offered_slot(card, schedule_id=schedule_id, starts_at=starts_at) if card and starts_at else None
    if offered is None:
        return render(request, "osoz_sandbox/lbk/booking_gone.html", {"card": card}, status=404)
    entity = card.entity
    channel = BookingChannel.WIDGET if request.GET.get("kanal") == "widget" else BookingChannel.LEKARZEBEZKOLEJKI
    form = BookingForm(request.POST if request.method == "POST" else None, entity=entity, offered=offered)
    if request.method == "POST" and form.is_valid():
        booking_request = form.booking_request(channel=channel)
        try:
            if entity.multi_step_registration:
                registrations.registration_start(
                    request=booking_request,
                    link_for=lambda token: request.build_absolute_uri(reverse("lbk_booking_confirm", args=[token])),
                )
                request.session["registration_email"] = booking_request.email
                return redirect("lbk_booking_check_email")
            _booking, token = bookings.booking_create(booking_request)
            return redirect("lbk_booking", token=token)
        except bookings.BookingRefused as refusal:
            form.add_error(None, refusal.message)
    context = {"card": card, "offered": offered, "form": form, "entity": entity}
    return render(request, "osoz_sandbox/lbk/booking_new.html", context)


def lbk_booking_check_email(request: HttpRequest) -> HttpResponse:
    """Rejestracja wieloetapowa: nothing is booked until the patient opens the e-mailed link."""
    context = {"email": request.session.get("registration_email", ""), "hours": registrations.LINK_HOURS}
    return render(request, "osoz_sandbox/lbk/booking_check_email.html", context)


@never_cache
def lbk_booking_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link of Rejestracja wieloetapowa: opening it books the slot, once."""
    try:
        _booking, booking_token = registrations.registration_confirm(token=token)
    except registrations.RegistrationLinkInvalid as invalid:
        return render(request, "osoz_sandbox/lbk/booking_link_invalid.html", {"message": invalid.message}, status=410)
    except bookings.BookingRefused as refusal:
        return render(request, "osoz_sandbox/lbk/booking_link_invalid.html", {"message": refusal.message}, status=409)
    return redirect("lbk_booking", token=booking_token)


@never_cache
@require_http_methods(["GET", "POST"])
def lbk_booking(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's booking (the link from the e-mail): its state, and cancellation while it is still ahead."""
    booking = bookings.booking_for_token(token)
    if booking is None:
        return render(request, "osoz_sandbox/lbk/booking_unknown.html", status=404)
    entity = booking.entity
    cancellable = booking.is_active and booking.starts_at > timezone.now()
    form = CancelForm(
        request.POST if request.method == "POST" else None, reason_required=entity.cancellation_reason_required
    )
    if request.method == "POST" and cancellable and form.is_valid():
        try:
            bookings.booking_cancel_by_patient(booking=booking, reason=form.cleaned_data["reason"])
        except bookings.BookingRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Wizyta została odwołana. Potwierdzenie wysłaliśmy na Twój adres e-mail.")
            return redirect("lbk_booking", token=token)
    place = selectors.booking_place(booking)
    context = {
        "booking": booking,
        "statuses": BookingStatus,
        "doctor_name": selectors.booking_doctor_name(booking),
        "location": place.location if place else None,
        "place_name": place.cell_name if place else "",
        "cancellable": cancellable,
        "form": form,
        "link": request.build_absolute_uri(),
    }
    return render(request, "osoz_sandbox/lbk/booking.html", context)


# --- Notifications outbox (SBX-7) ----------------------------------------------------------------------------------


def notifications(request: HttpRequest) -> HttpResponse:
    """Skrzynka powiadomień OSOZ: the e-mails and SMS the platform would have sent, newest first."""
    recipient = request.GET.get("odbiorca", "").strip()
    page = Paginator(outbox.notifications_list(recipient=recipient), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("strona")
    )
    return render(request, "osoz_sandbox/notifications.html", {"page": page, "recipient": recipient})


def notifications_json(request: HttpRequest) -> JsonResponse:
    """The outbox for tests and the demo: ?odbiorca=<address or phone>&rezerwacja=<booking_id>&limit=<1..1000>."""
    booking_id = None
    if request.GET.get("rezerwacja"):
        try:
            booking_id = uuid.UUID(request.GET["rezerwacja"])
        except ValueError:
            return JsonResponse({"detail": "Parametr rezerwacja musi być UUID rezerwacji."}, status=400)
    raw_limit = request.GET.get("limit", str(NOTIFICATIONS_JSON_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= NOTIFICATIONS_JSON_MAX:
        return JsonResponse({"detail": f"Parametr limit musi być liczbą od 1 do {NOTIFICATIONS_JSON_MAX}."}, status=400)
    found = outbox.notifications_list(recipient=request.GET.get("odbiorca", ""), booking_id=booking_id)
    return JsonResponse({"notifications": [outbox.notification_state(n) for n in found[: int(raw_limit)]]})


# --- Fault simulation (SBX-8) --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def fault_settings(request: HttpRequest) -> HttpResponse:
    """Symulacja awarii: switch the API's and webhooks' faults at runtime."""
    current = faults.fault_settings()
    form = FaultSettingsForm(instance=current)
    if request.method == "POST" and "reset" in request.POST:
        faults.fault_settings_reset()
        messages.success(request, "Przywrócono normalne działanie piaskownicy.")
        return redirect("fault_settings")
    if request.method == "POST":
        form = FaultSettingsForm(request.POST, instance=faults.fault_settings())
        if form.is_valid():
            faults.fault_settings_update(**{name: form.cleaned_data[name] for name in faults.FIELDS})
            messages.success(request, "Zapisano ustawienia symulacji awarii; obowiązują od razu.")
            return redirect("fault_settings")
    return render(request, "osoz_sandbox/fault_settings.html", {"form": form, "current": current})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def fault_settings_json(request: HttpRequest) -> JsonResponse:
    """The same settings for tests: GET returns them, POST changes any subset given as a JSON object."""
    if request.method == "POST":
        try:
            changes = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"detail": "Treść zapytania nie jest poprawnym dokumentem JSON."}, status=400)
        if not isinstance(changes, dict):
            return JsonResponse({"detail": "Podaj obiekt JSON z ustawieniami do zmiany."}, status=400)
        try:
            faults.fault_settings_update(**changes)
        except faults.FaultSettingsInvalid as invalid:
            return JsonResponse({"detail": "Niczego nie zmieniono.", "errors": invalid.errors}, status=400)
    return JsonResponse(faults.fault_settings_state(faults.fault_settings()))


# --- Widgets (manual §3.3, Tabela 5) -------------------------------------------------------------------------------


def _domain_allowed(host: str, domains: list[str]) -> bool:
    host = host.lower().strip("[]")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _embedding_host(request: HttpRequest) -> str:
    """The host of the page embedding the widget, from Origin or else Referer."""
    for header in ("Origin", "Referer"):
        value = request.headers.get(header, "")
        if value and value != "null":
            return urlsplit(value).hostname or ""
    return ""


def _frame_ancestors(domains: list[str]) -> str:
    sources = []
    for domain in domains:
        sources += [f"http://{domain}:*", f"https://{domain}:*"]
        try:
            ipaddress.ip_address(domain)
        except ValueError:
            sources += [f"http://*.{domain}:*", f"https://*.{domain}:*"]
    return " ".join(sources)


@xframe_options_exempt
def widget(request: HttpRequest, pk: int) -> HttpResponse:
    """A widget is shown only inside pages of the allowed domains: Origin/Referer checked, frame-ancestors set."""
    found = get_object_or_404(Widget.objects.select_related("entity"), pk=pk)
    entity = found.entity
    domains = entity.allowed_domains
    if not _domain_allowed(_embedding_host(request), domains):
        response = render(request, "osoz_sandbox/widget/refused.html", status=403)
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; frame-ancestors *"
        return response
    context = {"widget": found, "entity": entity}
    if found.needs_doctor:
        card = selectors.patient_doctor(entity_id=entity.entity_id, doctor_id=found.doctor_id)
        context["card"] = card
        if card and found.kind == WidgetKind.DOCTOR_TIMETABLE:
            context["timetable"] = selectors.doctor_timetable(card, date_from=timezone.localdate(), days=found.days)
        if card and found.kind == WidgetKind.DOCTOR_NEXT_SLOT:
            context["next_slot"] = selectors.doctor_next_slot(card)
    else:
        cards = selectors.patient_doctors(entity=entity)
        context["cards"] = cards
        context["groups"] = selectors.clinic_groups(cards) if entity.group_by_clinic else None
    response = render(request, "osoz_sandbox/widget/widget.html", context)
    response["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'none'; style-src 'self'; object-src 'none'; "
        f"frame-ancestors 'self' {_frame_ancestors(domains)}"
    )
    response["Vary"] = "Origin, Referer"
    return response
