"""What crosses into payers from outside, as the OSOZ integration maps its contract's documents to these: the payers
as OSOZ lists them (for `payers.services.payers_osoz_apply`), an insurer's order with its booking (for
`payers.visits.payer_order_resolve`) and the referrals it issued (for `payers.referrals.referrals_received_apply`)."""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.validators import validate_multiline_text, validate_text


@dataclass(frozen=True)
class OsozPayer:
    osoz_id: str
    name: str
    nip: str = ""


@dataclass(frozen=True)
class OsozPayerOrder:
    """An insurer's order with its booking, by OSOZ's ids: the payer, the service of its price list, the price and
    the discount it covers."""

    payer_osoz_id: str
    payer_service_id: str
    price: Decimal
    discount_percent: int


@dataclass(frozen=True)
class OsozReferral:
    """A referral the insurer issued with its booking, by OSOZ's ids."""

    referral_id: uuid.UUID
    issued_on: date
    valid_until: date
    service_id: str | None
    service_name: str
    note: str
    issued_by: str

    def __post_init__(self):
        """Text a page could not show as it is (control characters) raises ValidationError."""
        validate_text(self.service_name)
        validate_text(self.issued_by)
        validate_multiline_text(self.note)
