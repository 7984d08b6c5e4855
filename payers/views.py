"""Usługi prywatne > Cennik ogólny and Usługi prywatne > Płatnicy with the payers' price lists (manual §11.1, §11.2,
§11.2.1): thin views over payers.services and payers.selectors. Each view checks its permission itself; the menu only
hides what a role cannot open."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.exports import XLSX_CONTENT_TYPE
from core.forms import errors_to_form
from core.models import AuditCategory
from core.permissions import any_permission_required
from core.services import audit_record
from payers import exports, selectors, services
from payers.forms import GroupPricesForm, PayerForm, ServiceForm, ServiceGroupForm
from payers.models import Payer, Service, ServiceGroup

OVERRIDDEN_TAB = "nadpisane"


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _save(request, form, write) -> bool:
    """Run a service on a valid form; its refusals are shown on the form and nothing is saved."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write()
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    return True


# --- Cennik ogólny -------------------------------------------------------------------------------------------------


@permission_required("payers.view_service", raise_exception=True)
@require_GET
def group_list(request):
    """Usługi prywatne > Cennik ogólny: its groups; a group opens its services."""
    return render(request, "payers/group_list.html", {"groups": selectors.service_groups()})


@permission_required("payers.view_service", raise_exception=True)
@require_GET
def group_detail(request, pk):
    group = get_object_or_404(ServiceGroup, pk=pk)
    context = {"group": group, "services": selectors.group_services(group=group)}
    return render(request, "payers/group_detail.html", context)


@any_permission_required("payers.add_servicegroup", "payers.change_servicegroup")
@require_http_methods(["GET", "POST"])
def group_edit(request, pk=None):
    _require(request.user, "payers.change_servicegroup" if pk else "payers.add_servicegroup")
    group = get_object_or_404(ServiceGroup, pk=pk) if pk else None
    form = ServiceGroupForm(request.POST or None, instance=group)
    saved = {}

    def write():
        data = {"name": form.cleaned_data["name"], "position": form.cleaned_data["position"]}
        if group:
            saved["group"] = services.group_edit(group=group, **data, actor=request.user, request=request)
        else:
            saved["group"] = services.group_add(**data, actor=request.user, request=request)

    if _save(request, form, write):
        messages.success(request, _("Zapisano grupę cennika „%(name)s”.") % {"name": saved["group"].name})
        return redirect("payers:group_detail", pk=saved["group"].pk)
    return render(request, "payers/group_edit.html", {"form": form, "group": group})


@permission_required("payers.delete_servicegroup", raise_exception=True)
@require_http_methods(["GET", "POST"])
def group_remove(request, pk):
    group = get_object_or_404(ServiceGroup, pk=pk)
    if request.method == "POST":
        try:
            services.group_remove(group=group, actor=request.user, request=request)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("payers:group_detail", pk=group.pk)
        messages.success(request, _("Usunięto grupę cennika „%(name)s”.") % {"name": group.name})
        return redirect("payers:group_list")
    return render(request, "payers/group_remove.html", {"group": group, "service_count": group.services.count()})


@permission_required("payers.change_service", raise_exception=True)
@require_http_methods(["GET", "POST"])
def group_prices(request, pk):
    """Zmień ceny: every price of one group in one form, saved at once and flowing into the payers' lists."""
    group = get_object_or_404(ServiceGroup, pk=pk)
    form = GroupPricesForm(request.POST or None, services=list(group.services.all()))
    saved = {}

    def write():
        saved["changed"] = services.services_prices_set(prices=form.prices(), actor=request.user, request=request)

    if _save(request, form, write):
        messages.success(request, _("Zapisano ceny: zmieniono %(count)s.") % {"count": len(saved["changed"])})
        return redirect("payers:group_detail", pk=group.pk)
    return render(request, "payers/group_prices.html", {"form": form, "group": group})


@any_permission_required("payers.add_service", "payers.change_service")
@require_http_methods(["GET", "POST"])
def service_edit(request, pk=None, group_pk=None):
    _require(request.user, "payers.change_service" if pk else "payers.add_service")
    service = get_object_or_404(Service.objects.select_related("group"), pk=pk) if pk else None
    group = service.group if service else get_object_or_404(ServiceGroup, pk=group_pk)
    form = ServiceForm(request.POST or None, instance=service, initial={} if service else {"group": group})
    saved = {}

    def write():
        data = {name: form.cleaned_data[name] for name in ("group", "name", "price", "active")}
        if service:
            saved["service"] = services.service_edit(service=service, **data, actor=request.user, request=request)
        else:
            saved["service"] = services.service_add(**data, actor=request.user, request=request)

    if _save(request, form, write):
        messages.success(request, _("Zapisano usługę „%(name)s”.") % {"name": saved["service"].name})
        return redirect("payers:group_detail", pk=saved["service"].group_id)
    context = {"form": form, "service": service, "group": group}
    if service:
        context["override_count"] = service.overrides.count()
    return render(request, "payers/service_edit.html", context)


@permission_required("payers.delete_service", raise_exception=True)
@require_http_methods(["GET", "POST"])
def service_remove(request, pk):
    service = get_object_or_404(Service.objects.select_related("group"), pk=pk)
    if request.method == "POST":
        try:
            removed = services.service_remove(service=service, actor=request.user, request=request)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if removed:
                messages.success(request, _("Usunięto usługę „%(name)s”.") % {"name": service.name})
            else:
                messages.warning(
                    request,
                    _(
                        "Usługa „%(name)s” jest używana, więc nie została usunięta: oznaczono ją jako nieaktywną "
                        "w cenniku ogólnym i w cennikach płatników."
                    )
                    % {"name": service.name},
                )
        return redirect("payers:group_detail", pk=service.group_id)
    context = {"service": service, "override_count": service.overrides.count()}
    return render(request, "payers/service_remove.html", context)


# --- Płatnicy -------------------------------------------------------------------------------------------------------


@permission_required("payers.view_payer", raise_exception=True)
@require_GET
def payer_list(request):
    """Usługi prywatne > Płatnicy: payers typed in and imported from OSOZ, with the reminder of lists changed since
    they were last sent."""
    payers = list(selectors.payers_list())
    changed_count = sum(payer.list_changed_since_sent for payer in payers)
    return render(request, "payers/payer_list.html", {"payers": payers, "changed_count": changed_count})


@any_permission_required("payers.add_payer", "payers.change_payer")
@require_http_methods(["GET", "POST"])
def payer_edit(request, pk=None):
    _require(request.user, "payers.change_payer" if pk else "payers.add_payer")
    payer = get_object_or_404(Payer, pk=pk) if pk else None
    if payer and not payer.is_editable:
        messages.info(request, _("Dane płatnika pobranego z OSOZ aktualizuje import płatników z OSOZ."))
        return redirect("payers:payer_pricelist", pk=payer.pk)
    form = PayerForm(request.POST or None, instance=payer)
    saved = {}

    def write():
        data = {"name": form.cleaned_data["name"], "nip": form.cleaned_data["nip"]}
        if payer:
            saved["payer"] = services.payer_edit(payer=payer, **data, actor=request.user, request=request)
        else:
            saved["payer"] = services.payer_add(**data, actor=request.user, request=request)

    if _save(request, form, write):
        messages.success(request, _("Zapisano płatnika „%(name)s”.") % {"name": saved["payer"].name})
        return redirect("payers:payer_list")
    return render(request, "payers/payer_edit.html", {"form": form, "payer": payer})


@permission_required("payers.delete_payer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def payer_remove(request, pk):
    payer = get_object_or_404(Payer, pk=pk)
    if request.method == "POST":
        try:
            services.payer_remove(payer=payer, actor=request.user, request=request)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Usunięto płatnika „%(name)s”.") % {"name": payer.name})
        return redirect("payers:payer_list")
    context = {"payer": payer, "override_count": payer.services.count()}
    return render(request, "payers/payer_remove.html", context)


# --- A payer's price list ------------------------------------------------------------------------------------------


@permission_required("payers.view_payerservice", raise_exception=True)
@require_GET
def payer_pricelist(request, pk):
    """Cennik płatnika: the groups of the general list with how many of their services are overridden."""
    payer = get_object_or_404(Payer, pk=pk)
    context = {"payer": payer, "groups": selectors.payer_groups(payer=payer)}
    return render(request, "payers/payer_pricelist.html", context)


@permission_required("payers.view_payerservice", raise_exception=True)
@require_GET
def payer_group(request, pk, group_pk):
    """One group of the payer's list in the tabs Usługi nienadpisane / Usługi nadpisane (htmx swaps the tab)."""
    payer = get_object_or_404(Payer, pk=pk)
    group = get_object_or_404(ServiceGroup, pk=group_pk)
    overridden = request.GET.get("tab") == OVERRIDDEN_TAB
    context = {
        "payer": payer,
        "group": group,
        "overridden": overridden,
        "overridden_tab": OVERRIDDEN_TAB,
        "rows": selectors.payer_group_services(payer=payer, group=group, overridden=overridden),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    return render(request, "payers/payer_group_tab.html" if partial else "payers/payer_group.html", context)


@permission_required("payers.view_payerservice", raise_exception=True)
@require_GET
def payer_service(request, pk, service_pk):
    """The service's preview (Rysunek 11-7), with „Nadpisz” or, once overridden, „Cofnij nadpisanie”."""
    payer = get_object_or_404(Payer, pk=pk)
    service = get_object_or_404(Service.objects.select_related("group"), pk=service_pk)
    copy = selectors.payer_service_copy(payer=payer, service=service)
    context = {"payer": payer, "service": service, "copy": copy, "overridden_tab": OVERRIDDEN_TAB}
    return render(request, "payers/payer_service.html", context)


@permission_required("payers.add_payerservice", raise_exception=True)
@require_POST
def payer_service_override(request, pk, service_pk):
    payer = get_object_or_404(Payer, pk=pk)
    service = get_object_or_404(Service, pk=service_pk)
    try:
        services.payer_service_override(payer=payer, service=service, actor=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("payers:payer_service", pk=payer.pk, service_pk=service.pk)
    messages.success(
        request,
        _("Nadpisano usługę „%(name)s” do cennika płatnika: jest teraz w zakładce Usługi nadpisane.")
        % {"name": service.name},
    )
    return redirect(_group_url(payer, service, overridden=True))


@permission_required("payers.delete_payerservice", raise_exception=True)
@require_POST
def payer_service_undo(request, pk, service_pk):
    payer = get_object_or_404(Payer, pk=pk)
    service = get_object_or_404(Service, pk=service_pk)
    copy = selectors.payer_service_copy(payer=payer, service=service)
    if copy is None:
        return redirect(_group_url(payer, service, overridden=False))
    try:
        services.payer_service_override_undo(payer_service=copy, actor=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("payers:payer_service", pk=payer.pk, service_pk=service.pk)
    messages.success(
        request,
        _("Cofnięto nadpisanie usługi „%(name)s”: jest znowu w zakładce Usługi nienadpisane.") % {"name": service.name},
    )
    return redirect(_group_url(payer, service, overridden=False))


def _group_url(payer: Payer, service: Service, *, overridden: bool) -> str:
    url = reverse("payers:payer_group", kwargs={"pk": payer.pk, "group_pk": service.group_id})
    return f"{url}?tab={OVERRIDDEN_TAB}" if overridden else url


@permission_required("payers.view_payerservice", raise_exception=True)
@require_GET
def payer_export(request, pk):
    """The payer's price list as an .xlsx workbook (§11.2.1); who exported it is audited."""
    payer = get_object_or_404(Payer, pk=pk)
    workbook, count, overridden = exports.payer_pricelist_workbook(payer=payer)
    audit_record(
        category=AuditCategory.EXPORT,
        action="payer_pricelist_exported",
        message=format_lazy(
            gettext_lazy(
                "Wyeksportowano cennik płatnika „{payer}” do pliku .xlsx: usług cennika ogólnego {count}, "
                "w tym nadpisanych {overridden}."
            ),
            payer=payer.name,
            count=count,
            overridden=overridden,
        ),
        request=request,
        target=payer,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content=workbook, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="cennik-platnika-{payer.pk}-{stamp}.xlsx"'
    return response
