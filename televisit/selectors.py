"""Reads of televisits: who may conduct one, whose link is valid now, and what the window says about its date."""

from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import dateformat, timezone
from django.utils.translation import ngettext

from core.time import warsaw
from scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from scheduling.selectors import calendar_employees_for_user, visit_appointment_for_user
from televisit.models import Televisit
from televisit.tokens import TOKEN_LENGTH, token_hash


def televisit_appointment_for_user(*, user, appointment_id: int) -> Appointment:
    """A televisit appointment this user may conduct: the visit's own rule (its doctor, or reception); else Http404
    (not a televisit, or not his to see) or PermissionDenied."""
    appointment = visit_appointment_for_user(user=user, appointment_id=appointment_id)
    if appointment.kind != AppointmentKind.TELEVISIT:
        raise Http404
    return appointment


def televisit_for_token(*, token: str, now: datetime | None = None) -> Televisit | None:
    """The televisit whose patient link this is, while it is valid: the appointment neither cancelled nor moved
    since the link was issued, and not later than its end plus TELEVISIT_LINK_GRACE_MINUTES. None otherwise — the
    caller says the same for every refusal."""
    if len(token) != TOKEN_LENGTH:
        return None
    televisit = Televisit.objects.select_related("appointment").filter(token_hash=token_hash(token)).first()
    if televisit is None:
        return None
    appointment = televisit.appointment
    grace = timedelta(minutes=settings.TELEVISIT_LINK_GRACE_MINUTES)
    if (
        appointment.status == AppointmentStatus.CANCELLED
        or appointment.starts_at != televisit.issued_for
        or (now or timezone.now()) > appointment.ends_at + grace
    ):
        return None
    return televisit


def televisit_notice(*, appointment: Appointment, now: datetime | None = None) -> str:
    """For a televisit on a later day (TV-3, manual §15.2): "Konsultacja zaplanowana jest za 2 dni, na 10 kwietnia
    2020, o godzinie 9:00"; "" on its day (or after it), when the call starts at once. Days count Warsaw dates."""
    starts = warsaw(appointment.starts_at)
    days = (starts.date() - warsaw(now or timezone.now()).date()).days
    if days <= 0:
        return ""
    return ngettext(
        "Konsultacja zaplanowana jest za %(days)s dzień, na %(date)s, o godzinie %(time)s",
        "Konsultacja zaplanowana jest za %(days)s dni, na %(date)s, o godzinie %(time)s",
        days,
    ) % {"days": days, "date": dateformat.format(starts, "j E Y"), "time": dateformat.format(starts, "G:i")}


def televisits_waiting_for_user(*, user, now: datetime | None = None) -> list[Televisit]:
    """The televisits whose patient clicked "Połącz" and waits for the call (POR-5), of the doctors whose calendars
    the user sees, while the call can still be made and the patient's window is still valid."""
    grace = timedelta(minutes=settings.TELEVISIT_LINK_GRACE_MINUTES)
    candidates = Televisit.objects.filter(
        patient_ready_at__isnull=False,
        appointment__employee__in=calendar_employees_for_user(user),
        appointment__ends_at__gte=(now or timezone.now()) - grace,
    ).select_related("appointment", "appointment__employee")
    return [
        televisit
        for televisit in candidates.order_by("appointment__starts_at")
        if televisit.patient_waiting() and televisit.appointment.can_call_televisit()
    ]
