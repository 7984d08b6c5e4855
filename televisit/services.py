"""Writes of televisits: the patient's link (TV-8), and the call's start, connection and end with their audit. The
consumer and the views are thin callers; the call's media never pass through here, only what became of it."""

from datetime import timedelta
from urllib.parse import urljoin

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import AuditCategory
from core.services import audit_record
from scheduling.live import calendar_notice
from scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from televisit.models import Televisit
from televisit.tokens import token_derive, token_hash, token_salt_new


def room_group(televisit_id: int) -> str:
    """The channel layer's group of a televisit's call: its two sides' sockets (televisit.consumers)."""
    return f"televisit-{televisit_id}"


# Who ended a call the patient hung up, as the audit log names actors that are not staff (core.actors).
PATIENT_ACTOR = "Pacjent"


def _issue(appointment: Appointment) -> tuple[Televisit, str]:
    """The appointment's televisit and its patient token, made on first use; a moved appointment gets a new token
    (the old link then refers to nothing), as does one whose token no longer derives to the stored hash (a new
    SECRET_KEY)."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.kind != AppointmentKind.TELEVISIT:
            raise DomainError(_("To umówienie nie jest telewizytą."))
        if appointment.status == AppointmentStatus.CANCELLED:
            raise DomainError(_("Umówienie odwołano: link do telewizyty nie jest już ważny."))
        televisit = Televisit.objects.filter(appointment=appointment).first()
        if televisit is None:
            salt = token_salt_new()
            token = token_derive(appointment_id=appointment.pk, starts_at=appointment.starts_at, salt=salt)
            televisit = Televisit.objects.create(
                appointment=appointment,
                token_salt=salt,
                token_hash=token_hash(token),
                issued_for=appointment.starts_at,
            )
            return televisit, token
        if televisit.issued_for != appointment.starts_at:
            televisit.token_salt = token_salt_new()
            televisit.issued_for = appointment.starts_at
        token = token_derive(appointment_id=appointment.pk, starts_at=televisit.issued_for, salt=televisit.token_salt)
        if token_hash(token) != televisit.token_hash:
            televisit.token_hash = token_hash(token)
            televisit.save(update_fields=["token_salt", "issued_for", "token_hash"])
        televisit.appointment = appointment
        return televisit, token


def televisit_patient_link(*, appointment: Appointment, request=None) -> str:
    """The patient's absolute link to the televisit of this appointment (TV-8), the same one each time while the
    appointment keeps its start. Valid until the visit's end plus TELEVISIT_LINK_GRACE_MINUTES, and refused once the
    appointment is cancelled or moved. DomainError for an appointment that is no televisit or is cancelled.

    The address is always PORADNIA_PUBLIC_URL, where patients reach the product, never the host of the `request` a
    caller may be answering (an internal name, OSOZ's callback address): so the link is the same whoever asks."""
    _televisit, token = _issue(appointment)
    path = reverse("televisit:televisit_patient", kwargs={"token": token})
    return urljoin(settings.PORADNIA_PUBLIC_URL + "/", path.lstrip("/"))


def televisit_for_appointment(*, appointment: Appointment) -> Televisit:
    """The televisit the doctor's window calls in, made (with the patient's link) when first opened."""
    televisit, _token = _issue(appointment)
    return televisit


def televisit_call_start(*, televisit_id: int, user) -> bool:
    """The doctor called (TV-2): the first call, or the first after an ended one, starts the televisit and is
    audited; calling again while the patient has not answered is the same televisit. True when one started."""
    now = timezone.now()
    started = (
        Televisit.objects.filter(pk=televisit_id)
        .exclude(started_at__isnull=False, ended_at__isnull=True)
        .update(started_at=now, connected_at=None, ended_at=None, ended_by=None, ended_by_label="")
    )
    if started:
        televisit = Televisit.objects.select_related("appointment").get(pk=televisit_id)
        audit_record(
            category=AuditCategory.TELEVISIT,
            action="televisit_started",
            message=_("Rozpoczęto telewizytę: pracownik medyczny dzwoni do pacjenta."),
            actor=user,
            target=televisit.appointment,
        )
    return bool(started)


def televisit_connected(*, televisit_id: int, user) -> bool:
    """The browsers reached each other (ICE connected): audited once per call, not again after a reconnection."""
    connected = Televisit.objects.filter(
        pk=televisit_id, started_at__isnull=False, connected_at__isnull=True, ended_at__isnull=True
    ).update(connected_at=timezone.now())
    if connected:
        televisit = Televisit.objects.select_related("appointment").get(pk=televisit_id)
        audit_record(
            category=AuditCategory.TELEVISIT,
            action="televisit_connected",
            message=_("Nawiązano połączenie telewizyty z pacjentem."),
            actor=user,
            target=televisit.appointment,
        )
    return bool(connected)


def duration_label(length: timedelta) -> str:
    """H:MM:SS, as the audit says how long a call or a recording lasted."""
    seconds = int(length.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def televisit_end(*, televisit_id: int, user=None) -> bool:
    """Zakończ telewizytę, by the doctor (user) or the patient (None): audited with how long the two were connected.
    True when this ended it; False when it was not going on (already ended, or never started)."""
    now = timezone.now()
    label = user.audit_label if user is not None else PATIENT_ACTOR
    ended = Televisit.objects.filter(pk=televisit_id, started_at__isnull=False, ended_at__isnull=True).update(
        ended_at=now, ended_by=user, ended_by_label=label[:150]
    )
    if ended:
        televisit = Televisit.objects.select_related("appointment").get(pk=televisit_id)
        if televisit.connected_at is None:
            message = _("Zakończono telewizytę; połączenia z pacjentem nie nawiązano.")
        else:
            message = format_lazy(
                _("Zakończono telewizytę (czas połączenia {duration})."),
                duration=duration_label(televisit.ended_at - televisit.connected_at),
            )
        audit_record(
            category=AuditCategory.TELEVISIT,
            action="televisit_ended",
            message=message,
            actor=user,
            actor_label=label,
            target=televisit.appointment,
        )
    return bool(ended)


def room_notify(*, televisit_id: int, message: dict, roles: tuple[str, ...] = ("doctor", "patient")) -> None:
    """Tell the open windows of a televisit's call something the product did (a file received, a recording
    attached): the consumer passes it to the sides named. Nobody listening is no error: the page shows it on load."""
    channel_layer = get_channel_layer()
    async_to_sync(channel_layer.group_send)(
        room_group(televisit_id), {"type": "televisit.notify", "roles": list(roles), "message": message}
    )


def televisit_patient_ready(*, appointment: Appointment, request=None) -> bool:
    """ "Połącz" (POR-5): the patient is ready and waits in his televisit window. Recorded once until the doctor calls
    (a repeated click, or one during the call, changes nothing), audited, and told at once to the calendars and visit
    pages that show the doctor (scheduling.live). True when this made him waiting. DomainError as `_issue`."""
    televisit, _token = _issue(appointment)
    ready = (
        Televisit.objects.filter(pk=televisit.pk)
        .exclude(started_at__isnull=False, ended_at__isnull=True)
        .filter(Q(patient_ready_at__isnull=True) | Q(started_at__gte=F("patient_ready_at")))
        .update(patient_ready_at=timezone.now())
    )
    if ready:
        audit_record(
            category=AuditCategory.TELEVISIT,
            action="televisit_patient_ready",
            message=_("Pacjent zgłosił w Portalu Pacjenta gotowość do videokonsultacji."),
            actor_label=PATIENT_ACTOR,
            target=appointment,
            request=request,
        )
        calendar_notice(
            employee_id=appointment.employee_id,
            appointment_id=appointment.pk,
            url=reverse("televisit:televisit_ready", kwargs={"appointment_id": appointment.pk}),
        )
    return bool(ready)
