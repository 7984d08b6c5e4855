"""Why a booking made on OSOZ is refused, in the words OSOZ shows the patient (OSZ-7): the integration's own reasons,
and the mapping of the booking rules' refusals (`scheduling.services.bookings_check`) to them. The reasons are lazy
and leave for OSOZ, or for the booking's record, in the clinic's language (core.text.clinic_text)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from scheduling.services import SlotTakenError

# The reasons OSOZ shows the patient (OSZ-7); SET-1's is the booking rules' own (scheduling.services).
NOT_OFFERED = _("Lekarz lub placówka nie przyjmuje już rejestracji online. Prosimy wybrać inny termin.")
SLOT_TAKEN = _("Wybrany termin jest już zajęty. Prosimy wybrać inny.")
SLOT_GONE = _("Wybrany termin nie jest już dostępny. Prosimy wybrać inny.")
SLOT_PAST = _("Wybrany termin już minął. Prosimy wybrać inny.")
UNREADABLE = _("Nie udało się odczytać danych rezerwacji. Prosimy spróbować ponownie lub skontaktować się z placówką.")
PESEL_NEEDED = _("Do rejestracji online w tej placówce potrzebny jest numer PESEL. Prosimy o kontakt z placówką.")
PATIENT_DATA_INVALID = _(
    "Podane dane pacjenta są nieprawidłowe ({details}). Prosimy sprawdzić je i spróbować ponownie."
)
CANCELLED_BEFORE = _("Rezerwacja została już odwołana przez pacjenta.")
PATIENT_CANCEL_REASON = _("Odwołana przez pacjenta w OSOZ")
# Domain refusals whose own message is meant for whoever books, so the patient may read it as it is.
PATIENT_READABLE_CODES = {"televisit_not_allowed", "televisit_only", "not_first_free", "nfz_first_time"}


class Refused(Exception):
    """The booking cannot be honoured; `reason` is shown to the patient, `detail` only goes to the audit log."""

    def __init__(self, reason: str | Promise, *, detail: str | Promise = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def refusal_of(error: DomainError) -> Refused:
    """What the patient is told of the booking rules' refusal (`bookings_check`); the rule's own words go to the
    audit log."""
    if isinstance(error, SlotTakenError):
        return Refused(SLOT_TAKEN, detail=error.message)
    if error.code == "past":
        return Refused(SLOT_PAST, detail=error.message)
    if error.code == "not_offered_online":
        return Refused(NOT_OFFERED, detail=error.message)
    if error.code == "nfz_first_time":
        return Refused(error.message, detail=_("pierwszorazowy pacjent NFZ, rejestracja online wyłączona (SET-1)"))
    return Refused(error.message if error.code in PATIENT_READABLE_CODES else SLOT_GONE, detail=error.message)
