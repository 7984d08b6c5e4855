"""The changes payers record for the layers above them (see core.changes)."""

from dataclasses import dataclass

from core.changes import Change


@dataclass(frozen=True)
class ReferralsChanged(Change):
    """A payer visit's referrals are to be exchanged with OSOZ (PAY-9): the received ones read, the sent one sent."""

    appointment_id: int
