"""The platform's televisit service (manual §14.1, §14.2, contract 1.5.0): switched on in Telewizyta > Informacje in
demo mode for 3 months or bought for 12, the clinic's data registered for the patients' televisit terms, the doctors
who take televisits (Rejestracja on-line > Terminarz), and access granted to the clinic's system for the Provider
Service password. Whether a patient may choose a televisit is decided in selectors.offered_schedules."""

import calendar
import datetime
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from osoz_sandbox.models import Doctor, Entity, TelevisitAccess, TelevisitMode, TelevisitTerms
from osoz_sandbox.problems import ProviderPasswordInvalid, RateLimited, TelevisitInactive
from osoz_sandbox.services import secret_hash

DEMO_MONTHS = 3
PAID_MONTHS = 12
SERVICE_FIRST = "Najpierw włącz usługę telewizyty (Telewizyta > Informacje)."
TERMS_FIRST = "Najpierw zarejestruj dane placówki, aby utworzyć regulamin telewizyty (Telewizyta > Informacje)."


class TelevisitRefused(Exception):
    """A step of §14.1 taken out of order; `message` is Polish, for the Provider Service user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has no such day (30 November + 3 months is
    28 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# --- Telewizyta > Informacje ----------------------------------------------------------------------------------------


def televisit_demo_start(*, entity: Entity) -> Entity:
    """„Włącz”: the full service for 3 months from today, once per clinic; afterwards it can only be bought."""
    with transaction.atomic():
        entity = Entity.objects.select_for_update().get(pk=entity.pk)
        if entity.televisit_mode:
            raise TelevisitRefused(
                "Wersję demo telewizyty można uruchomić tylko raz. Aby dalej korzystać z usługi, wykup ją."
            )
        entity.televisit_mode = TelevisitMode.DEMO
        entity.televisit_active_until = months_later(timezone.localdate(), DEMO_MONTHS)
        entity.save(update_fields=["televisit_mode", "televisit_active_until"])
    return entity


def televisit_buy(*, entity: Entity) -> Entity:
    """„Kup”: 12 months of paid access, from today or, while the service is active, from the end of its period."""
    with transaction.atomic():
        entity = Entity.objects.select_for_update().get(pk=entity.pk)
        today = timezone.localdate()
        start = entity.televisit_active_until if entity.televisit_service_active else today
        entity.televisit_mode = TelevisitMode.PAID
        entity.televisit_active_until = months_later(start, PAID_MONTHS)
        entity.save(update_fields=["televisit_mode", "televisit_active_until"])
    return entity


def terms_register(*, entity: Entity, data: dict) -> TelevisitTerms:
    """„Zarejestruj dane placówki”: the data the televisit terms are generated from (registered again, replaced)."""
    if not entity.televisit_mode:
        raise TelevisitRefused(SERVICE_FIRST)
    terms, _created = TelevisitTerms.objects.update_or_create(
        entity=entity, defaults={**data, "registered_at": timezone.now()}
    )
    return terms


def terms_text(terms: TelevisitTerms) -> str:
    """The televisit terms patients of the clinic accept (manual §14.1 step 3C), generated from its data."""
    return f"""Regulamin świadczenia usług zdrowotnych w formie telewizyty
za pośrednictwem serwisu LekarzeBezKolejki.pl

§ 1. Usługodawca
Usługi zdrowotne w formie telewizyty świadczy {terms.operator_name}, {terms.address},
NIP {terms.nip}, REGON {terms.regon}, wpisany do rejestru podmiotów wykonujących działalność leczniczą pod numerem
księgi rejestrowej {terms.register_number} (dalej: Usługodawca).
Kontakt z Usługodawcą: e-mail {terms.email}, telefon {terms.phone}.

§ 2. Telewizyta
1. Telewizyta to konsultacja z lekarzem Usługodawcy prowadzona na odległość, połączeniem wideo.
2. Pacjent umawia telewizytę w serwisie LekarzeBezKolejki.pl, akceptując niniejszy regulamin.
3. Link do telewizyty Pacjent otrzymuje w wiadomości e-mail potwierdzającej wizytę. Połączenie rozpoczyna lekarz
   w umówionym terminie; Pacjent odbiera je po otwarciu linku.
4. Do telewizyty potrzebny jest komputer, laptop, tablet lub telefon z kamerą, mikrofonem i dostępem do Internetu
   oraz przeglądarka Google Chrome lub Firefox.
5. Telewizyta może być nagrywana na potrzeby dokumentacji medycznej; Pacjent jest o tym informowany w trakcie
   połączenia.

§ 3. Odwołanie telewizyty
Pacjent może odwołać telewizytę linkiem z wiadomości e-mail potwierdzającej rezerwację, przed jej terminem.

§ 4. Dane osobowe
Administratorem danych osobowych Pacjenta w zakresie udzielanych świadczeń zdrowotnych jest Usługodawca.

Regulamin wygenerowano w Serwisie Świadczeniodawcy OSOZ {timezone.localtime(terms.registered_at):%d.%m.%Y}.
To jest dokument piaskownicy OSOZ przygotowany na potrzeby demonstracji i testów systemu Poradnia.
"""


def televisit_setting_refusal(entity: Entity) -> str | None:
    """Why Rejestracja on-line > Ustawienia „Telewizyta” cannot be switched on yet (manual §14.1 steps 2–3), or
    None."""
    if not entity.televisit_service_active:
        return SERVICE_FIRST
    if not TelevisitTerms.objects.filter(entity=entity).exists():
        return TERMS_FIRST
    return None


# --- Rejestracja on-line > Terminarz --------------------------------------------------------------------------------


def doctors_televisit_set(*, entity: Entity, doctor_ids: set[str]) -> int:
    """„Umożliwia telewizytę” for exactly these of the entity's doctors; returns how many changed."""
    doctors = Doctor.objects.filter(entity=entity, deleted=False)
    switched_on = doctors.filter(doctor_id__in=doctor_ids, televisit_enabled=False).update(televisit_enabled=True)
    switched_off = (
        doctors.exclude(doctor_id__in=doctor_ids).filter(televisit_enabled=True).update(televisit_enabled=False)
    )
    return switched_on + switched_off


# --- Access for the clinic's system (manual §14.2, POST /api/v1/televisit/access) ---------------------------------


def _attempts_key(entity: Entity) -> str:
    return f"osoz-televisit-password:{entity.pk}"


def _attempts_check(entity: Entity) -> None:
    """Refuse while the entity has used up its wrong passwords of the window, without checking the password."""
    key = _attempts_key(entity)
    limit = settings.OSOZ_SANDBOX_TELEVISIT_PASSWORD_ATTEMPTS
    if (cache.get(key) or 0) < limit:
        return
    retry_after = max(int(cache.get(f"{key}:until", time.time()) - time.time()) + 1, 1)
    raise RateLimited(
        f"Podano błędne hasło {limit} razy. Ze względów bezpieczeństwa kolejną próbę można podjąć za "
        f"{(retry_after + 59) // 60} min.",
        headers={"Retry-After": str(retry_after)},
    )


def _attempt_failed(entity: Entity) -> None:
    key = _attempts_key(entity)
    window = settings.OSOZ_SANDBOX_TELEVISIT_PASSWORD_WINDOW_SECONDS
    if cache.add(key, 0, timeout=window):
        cache.set(f"{key}:until", time.time() + window, timeout=window)
    cache.incr(key)


def access_grant(*, entity: Entity, password: str) -> dict:
    """The contract's TelevisitAccess for the password of one of the entity's Provider Service accounts, while the
    service is active; earlier grants are revoked. Wrong passwords are limited per entity (RateLimited)."""
    _attempts_check(entity)
    if not entity.televisit_service_active:
        raise TelevisitInactive(
            "Usługa telewizyty nie jest aktywna w Serwisie Świadczeniodawcy OSOZ. Włącz ją lub wykup w "
            "Telewizyta > Informacje, a następnie spróbuj ponownie."
        )
    account = next((a for a in entity.accounts.select_related("user") if a.user.check_password(password)), None)
    if account is None:
        _attempt_failed(entity)
        raise ProviderPasswordInvalid(
            "Hasło nie pasuje do żadnego konta Serwisu Świadczeniodawcy OSOZ tej placówki. Wpisz hasło, którym "
            "logujesz się do Serwisu Świadczeniodawcy OSOZ."
        )
    cache.delete(_attempts_key(entity))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        TelevisitAccess.objects.filter(entity=entity, revoked_at=None).update(revoked_at=now)
        TelevisitAccess.objects.create(
            entity=entity, token_hash=secret_hash(token), granted_to=account.user.username, granted_at=now
        )
    return {
        "access_token": token,
        "mode": entity.televisit_mode,
        "active_until": entity.televisit_active_until.isoformat(),
    }


def access_current(entity: Entity) -> TelevisitAccess | None:
    return TelevisitAccess.objects.filter(entity=entity, revoked_at=None).first()
