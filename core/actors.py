"""Who acted when no staff member did, as the audit log, the calendar and the waiting queue name them."""

from enum import StrEnum


class Actor(StrEnum):
    # The platform and the patients and payers booking through it (OSOZ, LekarzeBezKolejki.pl, VisiMed).
    OSOZ = "OSOZ"
    # The product itself: scheduled work, commands.
    SYSTEM = "System"
