"""Writes of Usługi prywatne: Cennik ogólny's groups and services and the flow into the payers' copies
(`pricelist`), the payers' price lists, „Nadpisz” and its undo (`overrides`), and the payers typed in or imported from
OSOZ (`payers`); `common` holds the validated save and the audit's phrasing they share.

The rule of §11.2: a service overridden into a payer's list ("Nadpisz") is a copy that follows its base service. Every
change of a general-list service — name, price, active, group, removal — reaches all its copies in the same
transaction, with one UPDATE for them all whatever their number, and marks each list it touched as changed since it
was last sent to OSOZ (`Payer.list_changed_since_sent`). Rows are locked in one order everywhere — a service, its
copies, then the payers — so that two changes never wait for each other.
Every change is audited in plain Polish."""

from payers.services.overrides import payer_service_override, payer_service_override_undo
from payers.services.payers import PayersImported, payer_add, payer_edit, payer_remove, payers_osoz_apply
from payers.services.pricelist import (
    group_add,
    group_edit,
    group_remove,
    service_add,
    service_edit,
    service_remove,
    services_prices_set,
)

__all__ = [
    "PayersImported",
    "group_add",
    "group_edit",
    "group_remove",
    "payer_add",
    "payer_edit",
    "payer_remove",
    "payer_service_override",
    "payer_service_override_undo",
    "payers_osoz_apply",
    "service_add",
    "service_edit",
    "service_remove",
    "services_prices_set",
]
