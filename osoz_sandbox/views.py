"""HTML pages of the sandbox: the Provider Service ("Serwis Świadczeniodawcy OSOZ") with the configuration wizard,
the patient site in the manner of LekarzeBezKolejki.pl, and the embeddable doctor widgets (manual §3.3)."""

import datetime
import ipaddress
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from osoz_sandbox import selectors, services
from osoz_sandbox.contract import parse_date
from osoz_sandbox.forms import ConnectForm, DomainsForm, SearchForm, SettingsForm, WidgetForm
from osoz_sandbox.models import ApiClient, Doctor, Entity, Location, Schedule, Slot, Widget, WidgetKind

TIMETABLE_DAYS = 7


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "osoz_sandbox/home.html")


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
    form = SettingsForm(request.POST or None, instance=entity)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Zapisano ustawienia usługi rejestracji on-line.")
        return redirect("provider_settings")
    return render(request, "osoz_sandbox/provider/settings.html", {"entity": entity, "form": form})


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
    return render(request, "osoz_sandbox/lbk/clinic.html", {"entity": entity, "cards": cards, "groups": groups})


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
