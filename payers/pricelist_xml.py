"""The XML document of every OSOZ payer's price list (PAY-6, manual §11.3), built from plain data so that it can be
signed (payers.signing) and checked without the database, and the per-group counts its audit entry reports.

    <PriceLists xmlns="urn:poradnia:osoz:cenniki:1" Id="pricelists-<uuid>" entity_id="…" currency="PLN"
                created_at="2026-12-01T09:00:00+01:00">
      <Payer id="3" osoz_id="…" nip="…" name="…">
        <Group id="7" name="…">
          <Service id="41" base_service_id="12" name="…" price="150.00"/>

The root's Id is what the XAdES signature references; ids are the product's, base_service_id the general-list
service the payer's copy overrides; prices are gross PLN with two decimals and a decimal point."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from lxml import etree

from core.errors import DomainError
from core.money import validate_money
from core.time import warsaw
from core.validators import text_printable, validate_text

NAMESPACE = "urn:poradnia:osoz:cenniki:1"


class PriceListDataError(DomainError):
    """A name or a price cannot go into the document; nothing was signed or sent."""

    code = "price_list_data"


def _text_check(text: str, *, item_id: int, unprintable, empty=None) -> None:
    """Refuses text XML 1.0 cannot carry (control characters, non-characters) and, given `empty`, blank text."""
    try:
        validate_text(text)
    except ValidationError:
        raise PriceListDataError(unprintable % {"name": text_printable(text), "id": item_id}) from None
    if empty is not None and not text.strip():
        raise PriceListDataError(empty % {"id": item_id})


@dataclass(frozen=True)
class PriceListService:
    id: int
    base_service_id: int
    name: str
    price: Decimal

    def __post_init__(self):
        _text_check(
            self.name,
            item_id=self.id,
            unprintable=_(
                "Nazwa usługi „%(name)s” (Id %(id)s) zawiera znaki sterujące, których nie można wysłać do OSOZ. "
                "Popraw ją i wyślij cenniki ponownie."
            ),
            empty=_("Usługa o Id %(id)s nie ma nazwy, więc nie można jej wysłać do OSOZ."),
        )
        try:
            validate_money(self.price)
        except ValidationError as error:
            raise PriceListDataError(
                _("Cena usługi „%(name)s”: %(problem)s") % {"name": self.name, "problem": error.messages[0]}
            ) from None


@dataclass(frozen=True)
class PriceListGroup:
    id: int
    name: str
    services: tuple[PriceListService, ...]

    def __post_init__(self):
        _text_check(
            self.name,
            item_id=self.id,
            unprintable=_(
                "Nazwa grupy usług „%(name)s” (Id %(id)s) zawiera znaki sterujące, których nie można wysłać do OSOZ. "
                "Popraw ją i wyślij cenniki ponownie."
            ),
            empty=_("Grupa usług o Id %(id)s nie ma nazwy, więc nie można jej wysłać do OSOZ."),
        )


@dataclass(frozen=True)
class PriceListPayer:
    id: int
    osoz_id: str
    nip: str
    name: str
    groups: tuple[PriceListGroup, ...]

    def __post_init__(self):
        _text_check(
            self.name,
            item_id=self.id,
            unprintable=_(
                "Nazwa płatnika „%(name)s” (Id %(id)s) zawiera znaki sterujące, których nie można wysłać do OSOZ. "
                "Popraw ją i wyślij cenniki ponownie."
            ),
            empty=_("Płatnik o Id %(id)s nie ma nazwy, więc nie można go wysłać do OSOZ."),
        )
        _text_check(
            self.nip,
            item_id=self.id,
            unprintable=_(
                "NIP „%(name)s” płatnika o Id %(id)s zawiera znaki sterujące, których nie można wysłać do OSOZ. "
                "Popraw go i wyślij cenniki ponownie."
            ),
        )
        if not self.osoz_id or not self.osoz_id.isprintable():
            # Only payers imported from OSOZ have price lists there; a manual payer here is a bug of the caller.
            raise ValueError(f"payer {self.id} has no usable OSOZ id")


@dataclass(frozen=True)
class PriceListDocument:
    id: UUID
    entity_id: str  # the clinic's OSOZ entity ("Identyfikator podmiotu")
    created_at: datetime
    payers: tuple[PriceListPayer, ...]

    def __post_init__(self):
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be an aware datetime")
        if not self.entity_id or not self.entity_id.isprintable():
            raise ValueError("entity_id must be the clinic's OSOZ entity id")

    @property
    def xml_id(self) -> str:
        """The root's Id attribute, what the signature's reference points at (an XML NCName)."""
        return f"pricelists-{self.id}"


@dataclass(frozen=True)
class GroupCount:
    name: str
    count: int


@dataclass(frozen=True)
class PriceListCounts:
    """What the audit entry "Wyeksportowano N usług do OSOZ" reports: every service of every payer's list, and how
    many of them in each group (groups in the document's order)."""

    total: int
    groups: tuple[GroupCount, ...]


def pricelist_document_xml(document: PriceListDocument) -> bytes:
    """The UTF-8 document, unsigned. lxml escapes every name (<, &, quotes); the dataclasses refused what XML cannot
    carry."""
    root = etree.Element(f"{{{NAMESPACE}}}PriceLists", nsmap={None: NAMESPACE})
    root.set("Id", document.xml_id)
    root.set("entity_id", document.entity_id)
    root.set("currency", "PLN")
    root.set("created_at", warsaw(document.created_at).isoformat(timespec="seconds"))
    for payer in document.payers:
        payer_node = etree.SubElement(root, f"{{{NAMESPACE}}}Payer", id=str(payer.id), osoz_id=payer.osoz_id)
        if payer.nip:
            payer_node.set("nip", payer.nip)
        payer_node.set("name", payer.name)
        for group in payer.groups:
            group_node = etree.SubElement(payer_node, f"{{{NAMESPACE}}}Group", id=str(group.id), name=group.name)
            for service in group.services:
                etree.SubElement(
                    group_node,
                    f"{{{NAMESPACE}}}Service",
                    id=str(service.id),
                    base_service_id=str(service.base_service_id),
                    name=service.name,
                    price=f"{service.price:.2f}",
                )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def pricelist_document_counts(document: PriceListDocument) -> PriceListCounts:
    counts: Counter[int] = Counter()
    names: dict[int, str] = {}
    for payer in document.payers:
        for group in payer.groups:
            names.setdefault(group.id, group.name)
            counts[group.id] += len(group.services)
    return PriceListCounts(
        total=sum(counts.values()),
        groups=tuple(GroupCount(name=names[group_id], count=counts[group_id]) for group_id in names),
    )
