"""Demo patients: 330 records with valid PESELs (people born before and after 2000), a few foreigners with
passports, and OSOZ cards in both statuses. Seeded random, so every run makes the same clinic; idempotent."""

import random
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from patients.models import DocumentType, OsozCard, OsozCardSource, OsozCardStatus, Patient, Sex, search_fold
from patients.pesel import pesel_make

PATIENT_COUNT = 330
PASSPORT_COUNT = 6

FEMALE_FIRST_NAMES = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna", "Elżbieta", "Zofia",
    "Joanna", "Magdalena", "Monika", "Teresa", "Danuta", "Natalia", "Aleksandra", "Karolina", "Marta", "Julia",
    "Zuzanna", "Hanna", "Maja", "Lena", "Alicja", "Łucja", "Wiktoria", "Oliwia", "Jadwiga", "Grażyna",
)  # fmt: skip
MALE_FIRST_NAMES = (
    "Jan", "Andrzej", "Piotr", "Krzysztof", "Stanisław", "Tomasz", "Paweł", "Józef", "Marcin", "Marek",
    "Michał", "Grzegorz", "Jerzy", "Tadeusz", "Adam", "Łukasz", "Zbigniew", "Ryszard", "Dariusz", "Henryk",
    "Jakub", "Kacper", "Szymon", "Filip", "Antoni", "Mikołaj", "Wojciech", "Bartosz", "Kamil", "Maciej",
)  # fmt: skip
# Surnames with a female form (-ski/-ska, -cki/-cka, -dzki/-dzka) change with sex; the others do not.
SURNAMES = (
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
    "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk",
    "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski", "Michalski", "Nowicki", "Adamczyk", "Dudek",
    "Zając", "Wieczorek", "Jabłoński", "Król", "Majewski", "Olszewski", "Jaworski", "Wróbel", "Malinowski",
    "Pawlak", "Witkowski", "Walczak", "Stępień", "Górski", "Rutkowski", "Michalak", "Sikora", "Ostrowski",
    "Baran", "Duda", "Szewczyk", "Tomaszewski", "Pietrzak", "Marciniak", "Wróblewski", "Zalewski", "Jakubowski",
    "Jasiński", "Zawadzki", "Sadowski", "Bąk", "Chmielewski", "Włodarczyk", "Borkowski", "Czarnecki", "Sawicki",
    "Sokołowski", "Urbański", "Kubiak", "Maciejewski", "Szczepański", "Kucharski", "Wilk", "Kalinowski", "Łuczak",
)  # fmt: skip
STREETS = (
    "ul. Długa", "ul. Krótka", "ul. Mickiewicza", "ul. Słowackiego", "ul. Kościuszki", "ul. Piłsudskiego",
    "ul. Sienkiewicza", "ul. Kopernika", "ul. Polna", "ul. Leśna", "ul. Ogrodowa", "ul. Lipowa", "ul. Szkolna",
    "ul. Kwiatowa", "ul. Słoneczna", "ul. Jana Pawła II", "ul. Żeromskiego", "ul. Reymonta", "al. Niepodległości",
    "ul. 3 Maja", "ul. Wojska Polskiego", "ul. Konopnickiej", "ul. Prusa", "os. Na Skarpie", "ul. Źródlana",
)  # fmt: skip
TOWNS = (
    ("Kraków", "31"), ("Wieliczka", "32"), ("Skawina", "32"), ("Niepołomice", "32"), ("Myślenice", "32"),
    ("Bochnia", "32"), ("Zabierzów", "32"), ("Zielonki", "32"), ("Liszki", "32"), ("Michałowice", "32"),
)  # fmt: skip
FOREIGNERS = (
    ("Olena", "Kovalenko", Sex.FEMALE), ("Dmytro", "Shevchenko", Sex.MALE), ("Hanna", "Bondarenko", Sex.FEMALE),
    ("Maksym", "Tkachenko", Sex.MALE), ("Iryna", "Melnyk", Sex.FEMALE), ("Sophie", "Müller", Sex.FEMALE),
)  # fmt: skip
FEMALE_ENDINGS = {"ski": "ska", "cki": "cka", "dzki": "dzka"}


def seed(*, out) -> None:
    rng = random.Random(20260105)  # noqa: S311 - the same demo clinic on every run, nothing secret
    people = [_citizen(rng, serial) for serial in range(PATIENT_COUNT)]
    people += [_foreigner(rng, index) for index in range(PASSPORT_COUNT)]
    for person in people:
        person.clean()  # the folded search keys, and proof that the demo data pass the record's checks

    existing_pesels = set(Patient.objects.exclude(pesel="").values_list("pesel", flat=True))
    existing_documents = set(Patient.objects.filter(pesel="").values_list("document_type", "document_number"))
    new = [
        person
        for person in people
        if person.pesel not in existing_pesels
        and (person.pesel or (person.document_type, person.document_number) not in existing_documents)
    ]
    Patient.objects.bulk_create(new)

    stored = Patient.objects.filter(
        Q(pesel__in=[person.pesel for person in people if person.pesel])
        | Q(pesel="", document_number__in=[person.document_number for person in people if not person.pesel])
    )
    by_key = {patient.pesel or patient.document_number: patient for patient in stored}
    receptionist = User.objects.filter(username="rejestracja").first()
    cards = _cards(rng, [by_key[person.pesel or person.document_number] for person in people], receptionist)
    have = set(OsozCard.objects.filter(patient__in=by_key.values()).values_list("patient_id", "number"))
    OsozCard.objects.bulk_create([card for card in cards if (card.patient_id, card.number) not in have])
    out.write(f"Demo patients: {len(new)} added, {len(people) - len(new)} already there.")


def _surname(rng: random.Random, sex: str) -> str:
    surname = rng.choice(SURNAMES)
    if sex == Sex.FEMALE:
        for male, female in FEMALE_ENDINGS.items():
            if surname.endswith(male):
                return surname[: -len(male)] + female
    return surname


def _citizen(rng: random.Random, serial: int) -> Patient:
    sex = rng.choice((Sex.FEMALE, Sex.MALE))
    # Roughly a third of the patients were born in 2000 or later.
    birth_date = date(1935, 1, 1) + timedelta(days=rng.randrange((date(2025, 6, 30) - date(1935, 1, 1)).days))
    first_name = rng.choice(FEMALE_FIRST_NAMES if sex == Sex.FEMALE else MALE_FIRST_NAMES)
    last_name = _surname(rng, sex)
    town, postal_prefix = rng.choice(TOWNS)
    return Patient(
        first_name=first_name,
        last_name=last_name,
        pesel=pesel_make(birth_date=birth_date, sex=sex, serial=serial),
        birth_date=birth_date,
        sex=sex,
        phone=f"{rng.choice('5678')}{rng.randrange(10**8):08d}",
        email=(
            f"{search_fold(first_name)}.{search_fold(last_name)}{serial}@poczta.example" if rng.random() < 0.6 else ""
        ),
        street=_street(rng),
        postal_code=f"{postal_prefix}-{rng.randrange(1000):03d}",
        city=town,
    )


def _street(rng: random.Random) -> str:
    street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
    return f"{street}/{rng.randint(1, 40)}" if rng.random() < 0.5 else street


def _foreigner(rng: random.Random, index: int) -> Patient:
    first_name, last_name, sex = FOREIGNERS[index]
    return Patient(
        first_name=first_name,
        last_name=last_name,
        document_type=DocumentType.PASSPORT,
        document_number=f"{'FE' if index < 5 else 'C0'}{rng.randrange(10**7):07d}",
        birth_date=date(1970, 1, 1) + timedelta(days=rng.randrange(365 * 35)),
        sex=sex,
        phone=f"+380{rng.randrange(10**9):09d}" if index < 5 else f"+49{rng.randrange(10**10):010d}",
        street=_street(rng),
        postal_code=f"31-{rng.randrange(1000):03d}",
        city="Kraków",
    )


def _cards(rng: random.Random, patients: list[Patient], receptionist: User | None) -> list[OsozCard]:
    """About one patient in four has an Aktywna card; some also an older Nieaktywna one, and some only a card
    that came with an online booking and waits to be confirmed."""
    now = timezone.now()
    cards = []
    for patient in patients:
        roll = rng.random()
        if roll < 0.25:
            cards.append(_card(rng, patient, OsozCardStatus.ACTIVE, OsozCardSource.MANUAL, receptionist, now))
            if roll < 0.05:
                cards.append(_card(rng, patient, OsozCardStatus.INACTIVE, OsozCardSource.MANUAL, receptionist, now))
        elif roll < 0.33:
            cards.append(_card(rng, patient, OsozCardStatus.INACTIVE, OsozCardSource.ONLINE, None, now))
    return cards


def _card(rng, patient, status, source, added_by, now) -> OsozCard:
    return OsozCard(
        patient=patient,
        number=f"{rng.randrange(10**18):018d}",
        status=status,
        source=source,
        added_by=added_by,
        added_at=now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 600)),
    )
