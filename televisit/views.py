"""The televisit window (TV-2…TV-8, manual §15.2–§15.4.3): the medical employee's, opened from the visit in a tab of
its own, and the patient's, opened from the link without an account. Both are one page whose call televisit.js runs;
the signalling is televisit.consumers'."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required, permission_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from televisit.selectors import televisit_appointment_for_user, televisit_for_token, televisit_notice
from televisit.services import televisit_for_appointment


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def televisit(request, appointment_id):
    """The doctor's window. Opening it makes the televisit (and the patient's link) if the visit has none yet; the
    call itself starts from the window, over the socket."""
    appointment = televisit_appointment_for_user(user=request.user, appointment_id=appointment_id)
    context = {"appointment": appointment, "role": "doctor"}
    if appointment.can_call_televisit():
        notice = televisit_notice(appointment=appointment)
        context |= {
            "televisit": televisit_for_appointment(appointment=appointment),
            "notice": notice,
            "autostart": not notice,
            "answer_seconds": settings.TELEVISIT_ANSWER_SECONDS,
        }
    return render(request, "televisit/televisit.html", context)


@login_not_required
@never_cache  # the link's token and the visit's time: no cache keeps them (staff pages get no-store by their login)
@require_GET
def televisit_patient(request, token):
    """The patient's window, from the link (TV-8). A link that is not (or no longer) valid gets one page whatever
    the reason — it names neither the visit nor why."""
    televisit = televisit_for_token(token=token)
    if televisit is None:
        return render(request, "televisit/televisit_refused.html", status=404)
    appointment = televisit.appointment
    context = {
        "appointment": appointment,
        "role": "patient",
        "televisit": televisit,
        "token": token,
        "notice": televisit_notice(appointment=appointment),
        "autostart": False,
        "answer_seconds": settings.TELEVISIT_ANSWER_SECONDS,
    }
    return render(request, "televisit/televisit_patient.html", context)
