"""SBX-7: the e-mails and text messages the platform sends patients about their bookings. Nothing leaves the
sandbox: each message is a Notification row, which the outbox page and the tests read."""

import datetime

from django.conf import settings
from django.utils import timezone

from osoz_sandbox import selectors
from osoz_sandbox.models import Booking, BookingKind, Entity, Notification, NotificationChannel
from osoz_sandbox.services import WARSAW

KINDS = ("pending", "accepted", "rejected", "cancelled_by_patient", "cancelled_by_clinic", "moved")
WEEKDAYS = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")
SUBJECTS = {
    "pending": "Rezerwacja wizyty czeka na potwierdzenie placówki",
    "accepted": "Wizyta umówiona",
    "rejected": "Rezerwacja wizyty odrzucona",
    "cancelled_by_patient": "Wizyta odwołana",
    "cancelled_by_clinic": "Wizyta odwołana",
    "moved": "Zmiana terminu wizyty",
}
LEADS = {
    "pending": "przyjęliśmy Twoją rezerwację wizyty. Placówka potwierdzi wizytę – o jej decyzji poinformujemy Cię "
    "w osobnej wiadomości.",
    "accepted": "Twoja wizyta została umówiona.",
    "rejected": "niestety placówka nie może przyjąć Twojej rezerwacji wizyty.",
    "cancelled_by_patient": "zgodnie z Twoją prośbą odwołaliśmy wizytę.",
    "cancelled_by_clinic": "placówka odwołała Twoją wizytę.",
    "moved": "placówka zmieniła termin Twojej wizyty.",
}
SMS_LEADS = {
    "pending": "Rezerwacja wizyty czeka na potwierdzenie placówki",
    "accepted": "Wizyta umówiona",
    "rejected": "Rezerwacja wizyty odrzucona",
    "cancelled_by_patient": "Wizyta odwołana",
    "cancelled_by_clinic": "Wizyta odwołana przez placówkę",
    "moved": "Zmiana terminu wizyty",
}
# Kinds after which the patient still holds the booking, so the cancellation link is useful.
CANCELLABLE_KINDS = ("pending", "accepted", "moved")
# Kinds that carry the televisit link the clinic gave with its acceptance or its move (contract 1.5.0).
TELEVISIT_LINK_KINDS = ("accepted", "moved")
SIGNATURE = "Wiadomość wysłana automatycznie przez system rejestracji on-line OSOZ (LekarzeBezKolejki.pl)."


def cancel_link(token: str) -> str:
    """The patient's page of one booking, where it can be cancelled."""
    return f"{settings.OSOZ_SANDBOX_PUBLIC_URL}/lbk/rezerwacja/{token}/"


def when_text(moment: datetime.datetime) -> str:
    """E.g. "wtorek, 24.11.2026, godz. 08:15" in Europe/Warsaw."""
    local = moment.astimezone(WARSAW)
    return f"{WEEKDAYS[local.weekday()]}, {local:%d.%m.%Y}, godz. {local:%H:%M}"


def _place_text(booking: Booking) -> str:
    if booking.kind == BookingKind.TELEVISIT:
        return "Telewizyta – lekarz połączy się z Tobą w wyznaczonym terminie."
    place = selectors.booking_place(booking)
    if place is None:
        return ""
    location = place.location
    poradnia = f"{place.cell_name} – " if place.cell_name else ""
    return f"Miejsce: {poradnia}{location.unit_name}, {location.street}, {location.postcode} {location.city}."


def _televisit_lines(booking: Booking) -> list[str]:
    """How the patient joins the televisit, in the words of the clinics' instructions for patients (Videoporady)."""
    return [
        "",
        "Aby połączyć się z lekarzem, kliknij poniższy link odpowiednio wcześniej przed wizytą (około 5 minut):",
        booking.televisit_url,
        "",
        "Uwaga! W celu realizacji telewizyty potrzebny jest komputer, laptop, tablet lub telefon wyposażony w kamerę "
        "i mikrofon (przeglądarka Google Chrome lub Firefox). Po otwarciu linku możesz sprawdzić kamerę i mikrofon; "
        "od tego momentu nie odchodź od urządzenia – lekarz rozpocznie połączenie w terminie wizyty.",
        "Link działa tylko dla tej wizyty i tylko w okolicach jej terminu; nie przekazuj go innym osobom.",
    ]


def _footer(entity: Entity) -> list[str]:
    lines = ["", entity.name]
    if entity.reply_email:
        lines.append(f"E-mail zwrotny: {entity.reply_email}")
    return [*lines, "", SIGNATURE]


def _record(*, entity: Entity, booking: Booking | None, channel: str, recipient: str, subject: str, body: str):
    Notification.objects.create(
        entity=entity,
        booking=booking,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=timezone.now(),
    )


def booking_notify(
    *,
    booking: Booking,
    kind: str,
    cancel_token: str = "",
    previous_starts_at: datetime.datetime | None = None,
) -> None:
    """Tell the patient about the booking by e-mail, and by SMS when a phone number is known. `cancel_token` (known
    only when the booking is made) adds the cancellation link; `previous_starts_at` names the old time of a move."""
    if kind not in KINDS:
        raise ValueError(f"Unknown booking notification kind: {kind}")
    entity = booking.entity
    doctor = selectors.booking_doctor_name(booking)
    when = when_text(booking.starts_at)
    lines = ["Dzień dobry,", "", LEADS[kind], ""]
    if kind == "moved" and previous_starts_at is not None:
        lines.append(f"Poprzedni termin: {when_text(previous_starts_at)}.")
        lines.append(f"Nowy termin: {when}.")
    else:
        lines.append(f"Termin: {when}.")
    lines.append(f"Lekarz: {doctor}.")
    place = _place_text(booking)
    if place:
        lines.append(place)
    if booking.reason and kind in ("rejected", "cancelled_by_clinic", "cancelled_by_patient", "moved"):
        lines.append(f"Powód: {booking.reason}")
    televisit_link = booking.kind == BookingKind.TELEVISIT and booking.televisit_url and kind in TELEVISIT_LINK_KINDS
    if televisit_link:
        lines += _televisit_lines(booking)
    if cancel_token and kind in CANCELLABLE_KINDS:
        lines += ["", f"Jeśli nie możesz przyjść, odwołaj wizytę: {cancel_link(cancel_token)}"]
    if kind == "rejected":
        lines += ["", "Możesz wybrać inny termin na stronie LekarzeBezKolejki.pl."]
    _record(
        entity=entity,
        booking=booking,
        channel=NotificationChannel.EMAIL,
        recipient=booking.email,
        subject=SUBJECTS[kind],
        body="\n".join([*lines, *_footer(entity)]),
    )
    if booking.phone:
        sms = f"{entity.name}: {SMS_LEADS[kind]} – {doctor}, {when}."
        if booking.reason and kind in ("rejected", "cancelled_by_clinic", "moved"):
            sms += f" Powód: {booking.reason}"
        if televisit_link:
            sms += f" Telewizyta: {booking.televisit_url}"
        _record(
            entity=entity,
            booking=booking,
            channel=NotificationChannel.SMS,
            recipient=booking.phone,
            subject="",
            body=sms,
        )


def booking_clinic_notify(*, booking: Booking) -> None:
    """E-mail zwrotny (Tabela 4): the clinic hears of online bookings by patients without a Karta Zdrowia
    Pacjenta."""
    entity = booking.entity
    if not entity.reply_email or booking.osoz_card_number:
        return
    lines = [
        "Pacjent bez Karty Zdrowia Pacjenta zarezerwował wizytę on-line.",
        "",
        f"Pacjent: {booking.patient_name}",
        f"E-mail: {booking.email}",
        *([f"Telefon: {booking.phone}"] if booking.phone else []),
        f"Lekarz: {selectors.booking_doctor_name(booking)}",
        f"Termin: {when_text(booking.starts_at)}",
        f"Rodzaj wizyty: {booking.get_kind_display()}",
        f"Stan rezerwacji: {booking.get_status_display()}",
        "",
        SIGNATURE,
    ]
    _record(
        entity=entity,
        booking=booking,
        channel=NotificationChannel.EMAIL,
        recipient=entity.reply_email,
        subject="Rejestracja on-line pacjenta bez Karty Zdrowia Pacjenta",
        body="\n".join(lines),
    )


def registration_link_notify(*, entity: Entity, email: str, link: str) -> None:
    """Rejestracja wieloetapowa: the e-mail whose link confirms the booking."""
    lines = [
        "Dzień dobry,",
        "",
        "aby dokończyć rezerwację wizyty, otwórz poniższy link. Do tego czasu termin nie jest zarezerwowany.",
        "",
        link,
        "",
        "Link jest ważny przez 24 godziny i można go użyć tylko raz. Jeśli to nie Ty rezerwowałeś wizytę, "
        "zignoruj tę wiadomość.",
        *_footer(entity),
    ]
    _record(
        entity=entity,
        booking=None,
        channel=NotificationChannel.EMAIL,
        recipient=email,
        subject="Potwierdź rezerwację wizyty",
        body="\n".join(lines),
    )
