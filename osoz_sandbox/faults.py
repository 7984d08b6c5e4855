"""SBX-8: faults the sandbox injects at runtime. The settings live in one database row, so a change made on the
"Symulacja awarii" page or through /awarie.json takes effect at once in every thread and process of the sandbox.

The API middleware answers for `down`, `delay_ms` and `error_rate`; the booking events feed and the webhook sender ask
this module how to deliver (duplicated, reordered, paused)."""

import secrets

from django.db import transaction

from osoz_sandbox.models import FaultSettings

FIELDS = ("down", "delay_ms", "error_rate", "duplicate_deliveries", "reorder_events")
MAX_DELAY_MS = 60_000
# A 503 asks the client to come back after this many seconds (contract: clients honour Retry-After).
RETRY_AFTER_SECONDS = 5


class FaultSettingsInvalid(ValueError):
    """A change to the fault settings that cannot be applied; `errors` maps each field to a Polish message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def fault_settings() -> FaultSettings:
    """The current settings (one query); an unsaved row with the defaults (no faults) when none was ever saved."""
    return FaultSettings.objects.filter(pk=FaultSettings.SINGLETON_ID).first() or FaultSettings(
        pk=FaultSettings.SINGLETON_ID
    )


def fault_settings_state(settings: FaultSettings) -> dict:
    return {name: getattr(settings, name) for name in FIELDS}


def _cleaned(changes: dict) -> dict:
    errors, cleaned = {}, {}
    for name, value in changes.items():
        if name not in FIELDS:
            errors[name] = "Nieznane ustawienie symulacji awarii."
        elif name in ("down", "duplicate_deliveries", "reorder_events"):
            if not isinstance(value, bool):
                errors[name] = "Podaj true albo false."
            else:
                cleaned[name] = value
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[name] = "Podaj liczbę całkowitą."
        elif name == "delay_ms" and not 0 <= value <= MAX_DELAY_MS:
            errors[name] = f"Opóźnienie musi mieścić się w zakresie 0–{MAX_DELAY_MS} ms."
        elif name == "error_rate" and not 0 <= value <= 100:
            errors[name] = "Odsetek błędów musi mieścić się w zakresie 0–100%."
        else:
            cleaned[name] = value
    if errors:
        raise FaultSettingsInvalid(errors)
    return cleaned


def fault_settings_update(**changes) -> FaultSettings:
    """Change any subset of the fault settings (validated: nothing is saved when one value is wrong)."""
    cleaned = _cleaned(changes)
    with transaction.atomic():
        settings, _created = FaultSettings.objects.select_for_update().get_or_create(pk=FaultSettings.SINGLETON_ID)
        for name, value in cleaned.items():
            setattr(settings, name, value)
        settings.save()
    return settings


def fault_settings_reset() -> FaultSettings:
    """Back to normal operation: no faults."""
    return fault_settings_update(down=False, delay_ms=0, error_rate=0, duplicate_deliveries=False, reorder_events=False)


# --- Hooks for the API middleware, the events feed and the webhook sender --------------------------------------


def error_drawn(settings: FaultSettings) -> bool:
    """Whether this request is one of the `error_rate` per cent answered with 500."""
    return settings.error_rate > 0 and secrets.randbelow(100) < settings.error_rate


def events_for_delivery(events: list) -> list:
    """A page of the booking events feed as delivered: in reverse order with `reorder_events` (so a cancellation can
    arrive before its booking), and every event twice with `duplicate_deliveries` (the second copy after the whole
    page, as a retried delivery would bring it)."""
    settings = fault_settings()
    delivered = list(reversed(events)) if settings.reorder_events else list(events)
    if settings.duplicate_deliveries:
        delivered += delivered
    return delivered


def delivery_copies() -> int:
    """How many times each webhook (nudge or approval request) is sent: 2 with duplicate deliveries, else 1."""
    return 2 if fault_settings().duplicate_deliveries else 1


def webhooks_paused() -> bool:
    """While the sandbox is "down" no webhook leaves it; queued nudges wait for the retry loop."""
    return fault_settings().down
