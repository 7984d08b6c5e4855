"""PUT /api/v1/price-lists (SBX-6, contract 1.3.0): the clinic's signed payers' price lists, verified as OSOZ would
(osoz_sandbox.signatures) against the qualification authorities the sandbox trusts, then kept for the insurer side.
The trusted roots are the PEM certificates of OSOZ_SANDBOX_TRUSTED_ROOTS_FILE; the demo writes its test root there."""

from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from osoz_sandbox.models import Entity, PriceListEntry, PriceListSubmission
from osoz_sandbox.signatures import SignatureRefused, VerifiedPriceLists, price_lists_verify


def trusted_roots() -> list[bytes]:
    """The trusted roots, read at each call, so a demo that writes its root after the start is trusted at once."""
    path = Path(settings.OSOZ_SANDBOX_TRUSTED_ROOTS_FILE)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return []
    return [pem] if b"-----BEGIN CERTIFICATE-----" in pem else []


def price_lists_receive(*, entity: Entity, xml: bytes) -> PriceListSubmission:
    """Verify and keep the document; the same document again is answered with what was kept. SignatureRefused when
    the signature or the content does not hold, or the document is another clinic's."""
    roots = trusted_roots()
    if not roots:
        raise SignatureRefused(
            "untrusted",
            "Platforma nie ma listy zaufanych kwalifikowanych dostawców usług zaufania, więc nie może przyjąć "
            "żadnego podpisu. Skontaktuj się z operatorem OSOZ.",
        )
    verified = price_lists_verify(xml, trusted_roots=roots, now=timezone.now())
    if verified.entity_id != entity.entity_id:
        raise SignatureRefused(
            "wrong-entity",
            f"Dokument cenników dotyczy podmiotu {verified.entity_id}, a przesłał go podmiot {entity.entity_id}.",
        )
    kept = PriceListSubmission.objects.filter(entity=entity, document_id=verified.document_id).first()
    if kept is not None:
        return kept
    try:
        with transaction.atomic():
            return _keep(entity, xml, verified)
    except IntegrityError:
        # The same document arrived twice at once: the first one kept it.
        return PriceListSubmission.objects.get(entity=entity, document_id=verified.document_id)


def _keep(entity: Entity, xml: bytes, verified: VerifiedPriceLists) -> PriceListSubmission:
    submission = PriceListSubmission.objects.create(
        entity=entity,
        document_id=verified.document_id,
        signed_xml=xml,
        signer=verified.signer[:500],
        signer_serial_number=verified.signer_serial_number[:64],
        created_at=verified.created_at,
        signed_at=verified.signed_at,
        received_at=timezone.now(),
        payers_count=len(verified.payers),
        services_count=verified.services_count,
    )
    PriceListEntry.objects.bulk_create(
        PriceListEntry(
            submission=submission,
            payer_osoz_id=payer.osoz_id,
            payer_name=payer.name,
            group_id=service.group_id,
            group_name=service.group_name,
            service_id=service.id,
            base_service_id=service.base_service_id,
            name=service.name,
            price=service.price,
        )
        for payer in verified.payers
        for service in payer.services
    )
    return submission


def price_lists_summary(submission: PriceListSubmission) -> dict:
    """The contract's PriceListsResult."""
    return {
        "document_id": submission.document_id,
        "payers": submission.payers_count,
        "services": submission.services_count,
        "signer": submission.signer,
        "received_at": timezone.localtime(submission.received_at).isoformat(timespec="seconds"),
    }


def _payer_entries(*, entity: Entity, payer_id: str, group_ids: list[str] | None):
    submission = PriceListSubmission.objects.filter(entity=entity).first()
    if submission is None:
        return PriceListEntry.objects.none()
    entries = submission.entries.filter(payer_osoz_id=payer_id)
    return entries if group_ids is None else entries.filter(group_id__in=group_ids)


def payer_services(*, entity: Entity, payer_id: str, group_ids: list[str] | None = None) -> list[PriceListEntry]:
    """The services of one payer's list in the clinic's price lists in force (its newest accepted document), only
    those of `group_ids` when given (a schedule's PayerOffer.service_group_ids)."""
    return list(_payer_entries(entity=entity, payer_id=payer_id, group_ids=group_ids))


def payer_service(
    *, entity: Entity, payer_id: str, service_id: str, group_ids: list[str] | None = None
) -> PriceListEntry | None:
    """One service of the payer's list in force, by its id in the signed document."""
    return _payer_entries(entity=entity, payer_id=payer_id, group_ids=group_ids).filter(service_id=service_id).first()
