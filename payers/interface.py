"""What crosses into payers from outside: the payers as OSOZ lists them, handed to `payers.services.payers_osoz_apply`
by the OSOZ integration, which maps its contract's documents to these."""

from dataclasses import dataclass


@dataclass(frozen=True)
class OsozPayer:
    osoz_id: str
    name: str
    nip: str = ""
