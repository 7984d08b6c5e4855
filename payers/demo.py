"""The demo clinic's private services: Cennik ogólny of a Poznań outpatient clinic (about 120 services in 10 groups,
gross prices of 2026), two insurers imported from OSOZ — the OSOZ sandbox's own catalogue entries, so that
„Pobierz płatników z OSOZ” finds them again — and a few dozen services overridden into their price lists.
Private schedules of a few doctors are shared with both insurers (SCH-4), and each insurer has booked some of their
visits for its insured patients with a service, a discount and a referral (PAY-7, PAY-9), as its call centre does on
OSOZ. Idempotent: what already exists (by name, by OSOZ id) is left as it is."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.models import OsozAccess
from core.time import WARSAW
from patients.models import Patient
from payers import services
from payers.interface import OsozPayer, OsozPayerOrder
from payers.models import (
    Payer,
    PayerBooking,
    PayerService,
    Referral,
    ReferralDirection,
    ScheduleOffer,
    Service,
    ServiceGroup,
)
from payers.schedule_offers import schedule_offer_save, schedule_offers_republish
from payers.visits import payer_booking_record, payer_order_resolve
from scheduling.models import AppointmentSource, Schedule
from scheduling.selectors import free_slots
from scheduling.services import appointment_book

# (group, [(service, gross price in PLN)]), in the order Cennik ogólny shows them.
PRICE_LIST = (
    (
        "Konsultacje specjalistyczne",
        [
            ("Konsultacja kardiologiczna", "250"),
            ("Konsultacja dermatologiczna", "230"),
            ("Konsultacja dermatologiczna – wizyta kontrolna", "160"),
            ("Konsultacja neurologiczna", "250"),
            ("Konsultacja okulistyczna", "220"),
            ("Konsultacja laryngologiczna", "220"),
            ("Konsultacja ortopedyczna", "250"),
            ("Konsultacja endokrynologiczna", "250"),
            ("Konsultacja gastroenterologiczna", "260"),
            ("Konsultacja urologiczna", "250"),
            ("Konsultacja ginekologiczna", "240"),
            ("Konsultacja alergologiczna", "230"),
            ("Konsultacja diabetologiczna", "240"),
            ("Konsultacja reumatologiczna", "250"),
            ("Konsultacja pulmonologiczna", "240"),
            ("Konsultacja psychiatryczna", "300"),
        ],
    ),
    (
        "Wizyty lekarza rodzinnego i pediatry",
        [
            ("Wizyta u lekarza rodzinnego", "180"),
            ("Wizyta u internisty", "190"),
            ("Wizyta u pediatry", "190"),
            ("Wizyta pediatryczna – dziecko zdrowe (bilans)", "200"),
            ("Wizyta domowa lekarza na terenie Poznania", "450"),
            ("Teleporada lekarza rodzinnego", "120"),
            ("Wizyta kontrolna (do 14 dni od poprzedniej)", "100"),
            ("Wystawienie recepty na leki stałe bez wizyty", "50"),
            ("Zaświadczenie lekarskie o stanie zdrowia", "80"),
        ],
    ),
    (
        "Badania laboratoryjne",
        [
            ("Morfologia krwi z rozmazem", "25"),
            ("OB (odczyn Biernackiego)", "12"),
            ("CRP", "35"),
            ("Glukoza na czczo", "12"),
            ("Hemoglobina glikowana HbA1c", "45"),
            ("Lipidogram", "45"),
            ("Kreatynina z eGFR", "15"),
            ("Próby wątrobowe (ALT, AST)", "28"),
            ("TSH", "35"),
            ("FT4", "35"),
            ("Witamina D3 (25-OH)", "85"),
            ("Ferrytyna", "45"),
            ("Żelazo", "18"),
            ("Badanie ogólne moczu", "18"),
            ("Posiew moczu z antybiogramem", "55"),
            ("PSA całkowite", "55"),
            ("Kwas moczowy", "15"),
            ("Elektrolity (sód, potas)", "25"),
            ("D-dimery", "70"),
            ("Antygen Helicobacter pylori w kale", "80"),
        ],
    ),
    (
        "Diagnostyka obrazowa – USG",
        [
            ("USG jamy brzusznej", "220"),
            ("USG tarczycy", "180"),
            ("USG piersi", "200"),
            ("USG węzłów chłonnych", "170"),
            ("USG ginekologiczne przezpochwowe", "220"),
            ("USG ciąży", "250"),
            ("USG prostaty przez powłoki brzuszne", "200"),
            ("USG stawu kolanowego", "200"),
            ("USG stawu barkowego", "200"),
            ("USG Doppler tętnic szyjnych", "280"),
            ("USG Doppler żył kończyn dolnych", "300"),
            ("USG jąder", "200"),
            ("USG stawów biodrowych u niemowląt", "180"),
        ],
    ),
    (
        "Diagnostyka czynnościowa (EKG, Holter, spirometria)",
        [
            ("EKG spoczynkowe", "50"),
            ("EKG spoczynkowe z opisem kardiologa", "90"),
            ("Echo serca (UKG)", "300"),
            ("Holter EKG 24 h", "250"),
            ("Holter EKG 48 h", "350"),
            ("Holter ciśnieniowy (ABPM) 24 h", "220"),
            ("Próba wysiłkowa EKG", "350"),
            ("Pomiar ciśnienia tętniczego", "20"),
            ("Spirometria", "100"),
            ("Spirometria z próbą rozkurczową", "150"),
        ],
    ),
    (
        "Zabiegi ambulatoryjne",
        [
            ("Iniekcja domięśniowa", "30"),
            ("Iniekcja dożylna", "40"),
            ("Wlew kroplowy", "90"),
            ("Pobranie krwi", "15"),
            ("Zmiana opatrunku", "50"),
            ("Zdjęcie szwów", "60"),
            ("Usunięcie kleszcza", "70"),
            ("Płukanie uszu", "60"),
            ("Usunięcie znamienia skórnego z badaniem histopatologicznym", "450"),
            ("Krioterapia brodawki", "150"),
            ("Nacięcie i drenaż ropnia", "250"),
            ("Zaopatrzenie rany z szyciem", "220"),
        ],
    ),
    (
        "Szczepienia",
        [
            ("Kwalifikacja lekarska do szczepienia", "60"),
            ("Szczepienie przeciw grypie (ze szczepionką)", "110"),
            ("Szczepienie przeciw kleszczowemu zapaleniu mózgu – dawka dla dorosłych", "190"),
            ("Szczepienie przeciw WZW typu B", "90"),
            ("Szczepienie przeciw WZW typu A", "260"),
            ("Szczepienie przeciw HPV – jedna dawka", "600"),
            ("Szczepienie przeciw pneumokokom", "320"),
            ("Szczepienie przeciw meningokokom typu B", "520"),
            ("Szczepienie przeciw tężcowi i błonicy (Td)", "80"),
            ("Szczepienie przeciw półpaścowi – jedna dawka", "750"),
        ],
    ),
    (
        "Medycyna pracy",
        [
            ("Badanie wstępne – praca biurowa", "130"),
            ("Badanie okresowe – praca biurowa", "120"),
            ("Badanie kontrolne po zwolnieniu lekarskim powyżej 30 dni", "120"),
            ("Badanie kierowcy zawodowego kat. B", "200"),
            ("Badanie kierowcy kat. C, D", "250"),
            ("Badanie do pracy na wysokości powyżej 3 m", "180"),
            ("Orzeczenie do celów sanitarno-epidemiologicznych", "100"),
            ("Badanie psychotechniczne kierowcy", "200"),
            ("Badanie ucznia lub studenta przed praktyką zawodową", "100"),
            ("Konsultacja okulistyczna do orzeczenia medycyny pracy", "80"),
            ("Konsultacja laryngologiczna do orzeczenia medycyny pracy", "80"),
        ],
    ),
    (
        "Rehabilitacja i fizjoterapia",
        [
            ("Konsultacja fizjoterapeutyczna", "180"),
            ("Kinezyterapia indywidualna – 30 min", "120"),
            ("Terapia manualna", "200"),
            ("Masaż leczniczy częściowy", "120"),
            ("Laseroterapia", "40"),
            ("Magnetoterapia", "30"),
            ("Elektroterapia (TENS)", "35"),
            ("Ultradźwięki", "35"),
            ("Krioterapia miejscowa", "35"),
            ("Kinesiotaping", "70"),
            ("Fala uderzeniowa", "200"),
            ("Pakiet 10 zabiegów kinezyterapii", "1100"),
        ],
    ),
    (
        "Profilaktyka i pakiety badań",
        [
            ("Cytologia", "90"),
            ("Cytologia płynna (LBC)", "160"),
            ("Dermatoskopia znamion (do 10 zmian)", "300"),
            ("Pakiet „Serce” – lipidogram, glukoza, EKG i konsultacja kardiologiczna", "420"),
            ("Pakiet „Tarczyca” – TSH, FT3, FT4, anty-TPO i USG tarczycy", "390"),
            ("Pakiet „Kobieta 40+”", "690"),
            ("Pakiet „Mężczyzna 40+”", "650"),
            ("Pakiet „Cukrzyca” – glukoza, HbA1c, kreatynina, badanie moczu", "180"),
            ("Bilans zdrowia osoby dorosłej", "850"),
        ],
    ),
)

# The OSOZ sandbox's insurers (osoz_sandbox migration 0003) with which the demo clinic works.
PAYERS = (
    OsozPayer(osoz_id="800100", name="Wisła Ubezpieczenia Zdrowotne S.A.", nip="5271003450"),
    OsozPayer(osoz_id="800200", name="Medikor Towarzystwo Ubezpieczeń S.A.", nip="9512008765"),
)

# (payer's OSOZ id, group, how many of its first services are overridden into that payer's list).
OVERRIDES = (
    ("800100", "Konsultacje specjalistyczne", 16),
    ("800100", "Wizyty lekarza rodzinnego i pediatry", 4),
    ("800100", "Diagnostyka obrazowa – USG", 8),
    ("800200", "Konsultacje specjalistyczne", 10),
    ("800200", "Badania laboratoryjne", 10),
    ("800200", "Diagnostyka czynnościowa (EKG, Holter, spirometria)", 5),
    ("800200", "Medycyna pracy", 11),
)


# SCH-4: how many private online schedules are shared with the insurers, and the groups they offer them.
SHARED_SCHEDULES = 3
SHARED_GROUPS = ("Konsultacje specjalistyczne", "Wizyty lekarza rodzinnego i pediatry")
# PAY-7: (payer's OSOZ id, service, discount in percent, the referral the insurer issued with it) — booked into the
# first free slots of the shared schedules from today on.
PAYER_BOOKINGS = (
    ("800100", "Konsultacja dermatologiczna", 50, "Badanie dermatoskopowe znamion – do oceny na wizycie."),
    ("800100", "Konsultacja kardiologiczna", 100, "Pacjent po zawale, kontrola co 6 miesięcy."),
    ("800200", "Konsultacja neurologiczna", 30, ""),
    ("800100", "Wizyta u lekarza rodzinnego", 100, ""),
)


def _shared_schedules() -> list[Schedule]:
    """The first private online schedules of doctors the insurers may book, shared with both insurers (as an
    administrator does in §11.4)."""
    shared = list(Schedule.objects.filter(payer_offer__isnull=False).order_by("pk"))
    if shared:
        return shared
    payers = list(Payer.objects.filter(imported_from_osoz=True, removed_on_osoz_at__isnull=True))
    groups = list(ServiceGroup.objects.filter(name__in=SHARED_GROUPS))
    if not payers or not groups:
        return []
    candidates = (
        Schedule.objects.filter(is_nfz=False, osoz_online=True, televisit_only=False)
        .exclude(employee__osoz_access=OsozAccess.PATIENT)
        .order_by("pk")
    )
    for schedule in candidates[:SHARED_SCHEDULES]:
        schedule_offer_save(
            schedule=schedule, payer_ids=[payer.pk for payer in payers], group_ids=[group.pk for group in groups]
        )
    schedule_offers_republish(payer_ids=[payer.pk for payer in payers])
    return list(Schedule.objects.filter(payer_offer__isnull=False).order_by("pk"))


def _payer_bookings(schedules: list[Schedule]) -> None:
    """The insurers' bookings, through the booking rules every channel shares, each with its received referral."""
    if PayerBooking.objects.exists() or not schedules:
        return
    now = timezone.now()
    today = timezone.localdate(now, WARSAW)
    slots = free_slots(
        employee_ids={schedule.employee_id for schedule in schedules},
        date_from=today,
        date_to=today + timedelta(days=14),
        not_before=now,
        schedules=Schedule.objects.filter(pk__in=[schedule.pk for schedule in schedules]),
    )
    offered = [slot for employee_slots in slots.values() for slot in employee_slots[:2]]
    patients = list(Patient.objects.order_by("pk")[: len(PAYER_BOOKINGS)])
    for (osoz_id, service_name, discount, referral_note), slot, patient in zip(
        PAYER_BOOKINGS, offered, patients, strict=False
    ):
        copy = PayerService.objects.filter(payer__osoz_id=osoz_id, name=service_name).first()
        if copy is None:
            continue
        resolved = payer_order_resolve(
            order=OsozPayerOrder(
                payer_osoz_id=osoz_id, payer_service_id=str(copy.pk), price=copy.price, discount_percent=discount
            ),
            schedule_id=slot.schedule_id,
        )
        note = f"{copy.name}: {copy.price:.1f}zł - zniżka: {discount}%;"
        appointment = appointment_book(
            employee_id=slot.employee_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            patient=patient,
            source=AppointmentSource.PAYER,
            notes=note,
        )
        payer_booking_record(appointment=appointment, resolved=resolved)
        Referral.objects.create(
            appointment=appointment,
            referral_id=uuid.uuid4(),
            direction=ReferralDirection.RECEIVED,
            payer=resolved.payer,
            issued_on=today - timedelta(days=2),
            valid_until=today + timedelta(days=60),
            payer_service=copy,
            service_name=copy.name,
            note=referral_note,
            issued_by=resolved.payer.name,
        )


def seed(*, out) -> None:
    for position, (group_name, entries) in enumerate(PRICE_LIST, start=1):
        group = ServiceGroup.objects.filter(name=group_name).first()
        if group is None:
            group = services.group_add(name=group_name, position=position * 10)
        known = set(group.services.values_list("name", flat=True))
        for name, price in entries:
            if name not in known:
                services.service_add(group=group, name=name, price=Decimal(price))

    if not Payer.objects.filter(imported_from_osoz=True).exists():
        services.payers_osoz_apply(payers=list(PAYERS))
    for osoz_id, group_name, count in OVERRIDES:
        payer = Payer.objects.filter(osoz_id=osoz_id, removed_on_osoz_at__isnull=True).first()
        if payer is None:
            continue
        names = [name for name, _price in dict(PRICE_LIST)[group_name][:count]]
        for service in Service.objects.filter(group__name=group_name, name__in=names, active=True):
            if not PayerService.objects.filter(payer=payer, service=service).exists():
                services.payer_service_override(payer=payer, service=service)
    _payer_bookings(_shared_schedules())
    out.write(
        f"Private services: {Service.objects.count()} in {ServiceGroup.objects.count()} groups, "
        f"{Payer.objects.count()} payers, {PayerService.objects.count()} services overridden into their lists, "
        f"{ScheduleOffer.objects.count()} schedules shared with them, {PayerBooking.objects.count()} payer bookings."
    )
