"""Many patients book the published free slots at once, each through `bookings.booking_create` as the booking form
would do it (the checks, the sealing, the event, the clinic's approval call and the nudge): the load of the
ingestion benchmark and of the fault tests. Prints a JSON summary."""

import datetime
import itertools
import json
import random
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from stdnum.pl import pesel as stdnum_pesel

from osoz_sandbox.bookings import BookingRefused, BookingRequest, booking_create
from osoz_sandbox.models import ACTIVE_BOOKING_STATUSES, Booking, BookingKind, Entity, Schedule, Slot

FIRST_NAMES = ("Anna", "Piotr", "Katarzyna", "Tomasz", "Małgorzata", "Paweł", "Agnieszka", "Michał", "Ewa", "Jan")
LAST_NAMES = ("Nowak", "Wójcik", "Kamińska", "Lewandowski", "Zielińska", "Szymański", "Dąbrowska", "Kozłowski")


def pesel_for(birth: datetime.date, serial: int) -> str:
    """A valid PESEL: the century is encoded in the month (+20 for 2000–2099), then a serial and the check digit."""
    month = birth.month + (20 if birth.year >= 2000 else 0)
    stem = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial % 10000:04d}"
    return stem + stdnum_pesel.calc_check_digit(stem)


class Command(BaseCommand):
    help = "Book COUNT free published slots of the entity for generated patients (through the booking rules)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--entity", help="Identyfikator podmiotu; by default the only connected entity.")
        parser.add_argument(
            "--pesels", type=Path, help="PESELs of patients the clinic knows, one per line; they book first."
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, count: int, entity: str | None, pesels: Path | None, seed: int, **options):
        entities = Entity.objects.filter(**({"entity_id": entity} if entity else {}))
        if entities.count() != 1:
            raise CommandError("Podaj --entity: nie wiadomo, dla którego podmiotu rezerwować.")
        clinic = entities.get()
        rng = random.Random(seed)  # noqa: S311 - made-up patients, not secrets
        known = pesels.read_text().split() if pesels else []
        patients = self._patients(rng, known)
        held = set(
            Booking.objects.filter(entity=clinic, status__in=ACTIVE_BOOKING_STATUSES).values_list(
                "doctor_id", "starts_at"
            )
        )
        televisit_only = set(
            Schedule.objects.filter(entity=clinic, televisit_only=True).values_list("schedule_id", flat=True)
        )
        # Read whole before booking: an open read on SQLite would pin a snapshot the bookings' writes cannot follow.
        slots = list(
            Slot.objects.filter(day__entity=clinic, starts_at__gt=timezone.now())
            .order_by("starts_at", "day__doctor_id")
            .values_list("day__doctor_id", "schedule_id", "starts_at")
        )
        created = refused = 0
        for doctor_id, schedule_id, starts_at in slots:
            if created == count:
                break
            if (doctor_id, starts_at) in held:
                continue
            first_name, last_name, pesel = next(patients)
            request = BookingRequest(
                entity=clinic,
                doctor_id=doctor_id,
                schedule_id=schedule_id,
                starts_at=starts_at,
                kind=BookingKind.TELEVISIT if schedule_id in televisit_only else BookingKind.VISIT,
                first_name=first_name,
                last_name=last_name,
                email=f"pacjent.{pesel}@example.com",
                phone=f"600{pesel[-6:]}",
                pesel=pesel,
                patient_note="Proszę o wizytę kontrolną." if created % 4 == 0 else "",
                requirement_accepted=True,
            )
            try:
                booking_create(request)
            except BookingRefused:
                refused += 1
                continue
            created += 1
        self.stdout.write(json.dumps({"created": created, "refused": refused}))
        if created < count:
            raise CommandError(f"Tylko {created} z {count} rezerwacji: za mało wolnych terminów.")

    def _patients(self, rng: random.Random, known: list[str]):
        """Known PESELs first, then new patients with PESELs nobody had."""
        seen = set(known)
        for pesel in known:
            yield rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), pesel
        for serial in itertools.count(1):
            birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 60))
            pesel = pesel_for(birth, serial)
            if pesel not in seen:
                seen.add(pesel)
                yield rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), pesel
