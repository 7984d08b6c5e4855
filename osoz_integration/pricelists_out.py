"""„Wyślij cenniki do OSOZ” (PAY-6, manual §11.3): the administrator's certificate signs the payers' price lists as
they are now, and the signed document goes to OSOZ through the outbox, so OSOZ being down only delays it.

The key and its password live only in the request that signs (payers.signing); what is kept is the signed document,
which holds no secret, in a PriceListSending with its own outbox row ("pricelists:<pk>"). A newer sending supersedes
the ones still waiting: OSOZ replaces every list with each document, so only the newest needs to arrive. OSOZ's
acceptance records the lists as sent (clearing „zmieniony od ostatniej wysyłki”) and audits „Wyeksportowano N usług
do OSOZ” with the count of each group; its refusal — a signature it does not accept — is kept on the sending and
audited with OSOZ's words, which the Płatnicy page and the send page show."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from clinic.selectors import clinic_get
from core.errors import DomainError
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from core.text import clinic_text, join_lazy
from osoz_integration import outbox
from osoz_integration.client import OsozClient, OsozPermanentError
from osoz_integration.models import (
    Connection,
    OutboxKind,
    OutboxMessage,
    PriceListSending,
    PriceListSendingStatus,
    outbox_key,
)
from osoz_integration.selectors import connection_get
from payers.pricelist_xml import pricelist_document_counts, pricelist_document_xml
from payers.sending import osoz_payers, payers_lists_sent, pricelist_document_build
from payers.signing import Signer, SigningError

REQUESTED = _("Wysłano żądanie aktualizacji cenników do systemu OSOZ.")


def pricelists_send_refusal(connection: Connection | None = None) -> Promise | None:
    """Why the price lists cannot be sent now, or None: the one rule the button, the form and the request follow."""
    connection = connection or connection_get()
    if not connection.has_credentials or not clinic_get().osoz_entity_id:
        return _(
            "Placówka nie jest połączona z OSOZ: uruchom „Kreator konfiguracji systemu OSOZ” w Ustawienia › OSOZ/LBK."
        )
    if not connection.enabled:
        return _("Integracja z OSOZ jest wyłączona: włącz ją w Ustawienia › OSOZ/LBK.")
    if not osoz_payers().exists():
        return _("Nie ma płatników OSOZ, których cenniki można wysłać: najpierw pobierz płatników z OSOZ.")
    return None


def _refused(reason: str | Promise) -> DomainError:
    return DomainError(format_lazy(_("Nie wysłano cenników do OSOZ. {reason}"), reason=reason), code="refused")


def pricelists_send(
    *, signer: Signer, confirmed_subject: str, actor, request: HttpRequest | None = None
) -> PriceListSending:
    """Build the document of every OSOZ payer's list, sign it with `signer` and hand it to the outbox, all or
    nothing. The certificate must be the one the administrator confirmed. Raises DomainError (SigningError,
    PriceListDataError among them) with a Polish message; nothing was kept or sent then."""
    refusal = pricelists_send_refusal()
    if refusal is not None:
        raise _refused(refusal)
    if signer.subject() != confirmed_subject:
        raise SigningError(
            _("To nie jest certyfikat, który potwierdzono. Wybierz plik certyfikatu ponownie."),
            code="other_certificate",
        )
    now = timezone.now()
    with transaction.atomic():
        document = pricelist_document_build(entity_id=clinic_get().osoz_entity_id, now=now)
        signed = signer.sign(pricelist_document_xml(document))
        counts = pricelist_document_counts(document)
        _older_superseded()
        sending = PriceListSending.objects.create(
            document_id=document.xml_id,
            signed_xml=signed,
            signer=signer.subject()[:500],
            built_at=now,
            payer_ids=[payer.id for payer in document.payers],
            services_count=counts.total,
            group_counts=[{"name": group.name, "count": group.count} for group in counts.groups],
            requested_by=actor,
            requested_at=now,
        )
        outbox.outbox_upsert(kind=OutboxKind.PRICE_LISTS, object_ids=[sending.pk], now=now)
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_pricelists_requested",
            message=REQUESTED,
            actor=actor,
            request=request,
            target=sending,
        )
        transaction.on_commit(outbox.outbox_drain_request)
    return sending


def _older_superseded() -> None:
    """OSOZ replaces every list with each document: a sending still waiting need not arrive, and one OSOZ refused
    no longer waits for an administrator's decision on Stan integracji."""
    older = PriceListSending.objects.filter(
        status__in=[PriceListSendingStatus.PENDING, PriceListSendingStatus.REFUSED]
    ).values_list("pk", flat=True)
    OutboxMessage.objects.filter(
        kind=OutboxKind.PRICE_LISTS, object_id__in=list(older), next_attempt_at__isnull=True
    ).update(sent_version=F("version"), attempts=0, last_error="")
    PriceListSending.objects.filter(status=PriceListSendingStatus.PENDING).update(
        status=PriceListSendingStatus.SUPERSEDED
    )


def pricelists_last() -> PriceListSending | None:
    """The newest sending: what the Płatnicy page and the send page report."""
    return PriceListSending.objects.order_by("-requested_at", "-pk").first()


def pricelists_state() -> dict:
    """The last sending and, while it waits, why the last attempt failed (OSOZ down): what the pages show."""
    last = pricelists_last()
    last_error = ""
    if last is not None and last.status == PriceListSendingStatus.PENDING:
        row = OutboxMessage.objects.filter(key=outbox_key(OutboxKind.PRICE_LISTS, last.pk)).first()
        last_error = row.last_error if row else ""
    return {"last": last, "last_error": last_error}


def services_text(count: int) -> Promise:
    return format_lazy(ngettext_lazy("{count} usługa", "{count} usług", count), count=count)


def exported_text(sending: PriceListSending) -> Promise:
    """„Wyeksportowano 14 usług do OSOZ: Konsultacje: 9 usług, Badania: 5 usług.” (manual §11.3)."""
    count = sending.services_count
    total = format_lazy(
        ngettext_lazy("Wyeksportowano {count} usługę do OSOZ", "Wyeksportowano {count} usług do OSOZ", count),
        count=count,
    )
    if not sending.group_counts:
        return format_lazy("{total}.", total=total)
    groups = join_lazy(
        ", ",
        [
            format_lazy("{name}: {count}", name=group["name"], count=services_text(group["count"]))
            for group in sending.group_counts
        ],
    )
    return format_lazy("{total}: {groups}.", total=total, groups=groups)


# --- The outbox document -------------------------------------------------------------------------------------------


@dataclass
class PriceListsDocument:
    """The outbox's OutboxDocument of a sending: the signed XML as it was kept."""

    target: PriceListSending
    version: int

    visible = False
    action = "osoz_pricelists_exported"
    failed_action = "osoz_pricelists_failed"
    failed = _("cenników płatników")

    @property
    def sends(self) -> bool:
        # A superseded sending need not arrive; a refused one is sent again when an administrator asks for it on Stan
        # integracji ("Wyślij ponownie": e.g. OSOZ trusts the authority now).
        return self.target.status in (PriceListSendingStatus.PENDING, PriceListSendingStatus.REFUSED)

    def send(self, client: OsozClient) -> bool:
        try:
            client.price_lists_put(bytes(self.target.signed_xml))
        except OsozPermanentError as error:
            PriceListSending.objects.filter(pk=self.target.pk, status=PriceListSendingStatus.PENDING).update(
                status=PriceListSendingStatus.REFUSED,
                answered_at=timezone.now(),
                refusal_code=error.code[:40],
                refusal_detail=clinic_text(error.message),
            )
            raise
        return True

    def sent_record(self) -> None:
        PriceListSending.objects.filter(pk=self.target.pk).update(
            status=PriceListSendingStatus.ACCEPTED, answered_at=timezone.now(), refusal_code="", refusal_detail=""
        )
        payers_lists_sent(payer_ids=self.target.payer_ids, built_at=self.target.built_at)

    def sent_text(self, applied: bool) -> Promise:
        return exported_text(self.target)

    def retry_text(self, error: str | Promise, at: str) -> Promise:
        return format_lazy(
            _("Nie udało się wysłać cenników płatników do OSOZ: {error}. Ponowienie o {at}."), error=error, at=at
        )

    def refused_text(self, error: str | Promise) -> Promise:
        return format_lazy(
            _(
                "OSOZ odrzucił podpisane cenniki płatników: {error}. Cenniki w OSOZ nie zmieniły się; popraw to, co "
                "wskazał OSOZ, i wyślij cenniki ponownie."
            ),
            error=error,
        )


def pricelists_document(object_id: int, version: int) -> PriceListsDocument:
    return PriceListsDocument(target=PriceListSending.objects.get(pk=object_id), version=version)


def pricelists_refused_audit(*, error: SigningError | DomainError, actor, request: HttpRequest | None = None) -> None:
    """A send the product itself refused (the certificate, the data): audited as a failure, nothing was sent."""
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_pricelists_failed",
        message=format_lazy(_("Nie wysłano cenników płatników do OSOZ: {error}"), error=error.message),
        actor=actor,
        request=request,
        outcome=AuditOutcome.FAILURE,
    )
