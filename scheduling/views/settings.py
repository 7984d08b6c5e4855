"""Ustawienia > Ogólne (SPEC SET-1, manual §5.4) and Ustawienia > Kalendarz (SET-2, manual §5.5): the clinic-wide
booking settings, for administrators."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from scheduling.forms import CalendarSettingsForm, GeneralSettingsForm
from scheduling.selectors import booking_settings
from scheduling.services import booking_settings_update


def _settings_page(request, *, form_class, template: str, url_name: str):
    form = form_class(request.POST if request.method == "POST" else None, instance=booking_settings())
    if request.method == "POST" and form.is_valid():
        booking_settings_update(**form.cleaned_data, actor=request.user, request=request)
        messages.success(request, _("Zapisano ustawienia."))
        return redirect(url_name)
    return render(request, template, {"form": form})


@permission_required("scheduling.change_bookingsettings", raise_exception=True)
@require_http_methods(["GET", "POST"])
def settings_general(request):
    return _settings_page(
        request,
        form_class=GeneralSettingsForm,
        template="scheduling/settings_general.html",
        url_name="scheduling:settings_general",
    )


@permission_required("scheduling.change_bookingsettings", raise_exception=True)
@require_http_methods(["GET", "POST"])
def settings_calendar(request):
    return _settings_page(
        request,
        form_class=CalendarSettingsForm,
        template="scheduling/settings_calendar.html",
        url_name="scheduling:settings_calendar",
    )
