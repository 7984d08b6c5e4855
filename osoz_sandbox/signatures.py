"""SBX-6: the payers' price lists a clinic sends (manual §11.3) arrive signed XAdES-BES with a qualified certificate;
the sandbox, as OSOZ, accepts a document only when all of this holds, and otherwise refuses it with a Polish reason
the clinic's product shows its administrator:

- exactly one enveloped signature, whose reference covers the whole document (the root, by its Id), with the XAdES
  signed properties and KeyInfo signed as well; every digest and the signature value check out (signxml);
- the signed properties name the signer's certificate by its digest (SigningCertificate/V2, the first entry is the
  certificate that verifies the signature) and carry a signing time neither in the future nor older than
  MAX_SIGNATURE_AGE — a BES signature has no time-stamp, so that claimed time is all there is;
- the signer's certificate was valid at that signing time and leads, through the certificates in KeyInfo, to one of
  the trusted qualification authorities (cryptography's path builder; the authorities' certificates are held to the
  Web PKI CA profile: CA basic constraints, keyCertSign, key identifiers);
- the certificate is a qualified one for electronic signatures: key usage nonRepudiation (ETSI EN 319 412-2 §4.3.2;
  digitalSignature alone is an authentication certificate, and signxml's own default check, which asks for
  digitalSignature, would refuse the many qualified certificates that carry nonRepudiation only), and the QC
  statements QcCompliance and QcSSCD, with QcType esign when QcType is given (ETSI EN 319 412-5).

What is returned is read from the signed bytes only, never from the document as received."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from osoz_sandbox.problems import Problem

NAMESPACE = "urn:poradnia:osoz:cenniki:1"
WARSAW = ZoneInfo("Europe/Warsaw")
# The clinic's outbox may retry a signed document for a while when the platform is down; after that its signer signs
# again. A few minutes of clock difference between the signer's computer and the platform are forgiven.
MAX_SIGNATURE_AGE = timedelta(days=3)
CLOCK_SKEW = timedelta(minutes=5)

_NS = {
    "p": NAMESPACE,
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xades": "http://uri.etsi.org/01903/v1.3.2#",
}
_SIGNING_TIME = "/".join(
    (
        "ds:Object",
        "xades:QualifyingProperties",
        "xades:SignedProperties",
        "xades:SignedSignatureProperties",
        "xades:SigningTime",
    )
)
# RFC 4514 names cryptography writes as bare OIDs.
_NAME_LABELS = {
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.GIVEN_NAME: "GN",
    NameOID.SURNAME: "SN",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}
_PRICE = re.compile(r"\d{1,8}\.\d{2}")

QC_STATEMENTS = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"


class SignatureRefused(Problem):
    """The document is not accepted; `reason` says which rule refused it, `detail` says it in Polish."""

    status = 422
    code = "signature-refused"
    title = "Signed document refused"

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason

    def members(self) -> dict:
        return {"reason": self.reason}


@dataclass(frozen=True)
class VerifiedService:
    id: str
    base_service_id: str
    group_id: str
    group_name: str
    name: str
    price: Decimal


@dataclass(frozen=True)
class VerifiedPayer:
    id: str
    osoz_id: str
    nip: str
    name: str
    services: tuple[VerifiedService, ...]


@dataclass(frozen=True)
class VerifiedPriceLists:
    document_id: str
    entity_id: str
    created_at: datetime
    signed_at: datetime
    signer: str  # the certificate's subject, RFC 4514
    signer_serial_number: str  # e.g. PNOPL-80051401456
    payers: tuple[VerifiedPayer, ...]

    @property
    def services_count(self) -> int:
        return sum(len(payer.services) for payer in self.payers)


def price_lists_verify(
    xml: bytes, *, trusted_roots: list[bytes], now: datetime, max_age: timedelta = MAX_SIGNATURE_AGE
) -> VerifiedPriceLists:
    """The signed price lists, checked as the module's docstring says; SignatureRefused otherwise."""
    root = _parse(xml)
    if root.tag != f"{{{NAMESPACE}}}PriceLists" or not root.get("Id"):
        raise SignatureRefused("not-price-lists", "To nie jest dokument cenników płatników (element PriceLists).")
    signatures = root.findall(".//ds:Signature", _NS)
    if not signatures:
        raise SignatureRefused("unsigned", "Dokument cenników nie jest podpisany. Podpisz go podpisem kwalifikowanym.")
    if len(signatures) != 1 or signatures[0].getparent() is not root:
        raise SignatureRefused("malformed", "Dokument cenników musi mieć dokładnie jeden podpis, w elemencie głównym.")
    signing_time = _claimed_signing_time(signatures[0])

    roots = [certificate for pem in trusted_roots for certificate in x509.load_pem_x509_certificates(pem)]
    if not roots:
        raise ValueError("the sandbox trusts no qualification authority: give their root certificates")
    verifier = _Verifier(chain=_TrustedChain(roots, signing_time), signing_time=signing_time, now=now, max_age=max_age)
    # Any number of references, so long as one covers the root: the signed properties' own is required by signxml.
    config = XAdESSignatureConfiguration(location="./", expect_references=True, verification_time=signing_time)
    try:
        results = verifier.verify(xml, expect_config=config, parser=_parser())
    except InvalidCertificate:
        raise _untrusted() from None
    except InvalidSignature:  # the signature value or a reference's digest
        raise SignatureRefused(
            "altered",
            "Podpis nie zgadza się z treścią: dokument zmieniono po podpisaniu. Podpisz cenniki i wyślij je ponownie.",
        ) from None
    except (InvalidInput, etree.DocumentInvalid, ValueError):
        raise SignatureRefused("malformed", "Podpis dokumentu jest niekompletny albo uszkodzony.") from None

    signed = [result.signed_xml for result in results if result.signed_xml is not None]
    signed_root = next((node for node in signed if node.tag == root.tag), None)
    if signed_root is None or signed_root.get("Id") != root.get("Id"):
        raise SignatureRefused("malformed", "Podpis nie obejmuje całego dokumentu cenników.")
    return _summary(signed_root, signing_time=signing_time, signer=verifier.chain.signer)


class _Verifier(XAdESVerifier):
    """signxml's XAdES verifier with the platform's trust, signing-time and certificate-digest rules."""

    def __init__(self, *, chain: "_TrustedChain", signing_time: datetime, now: datetime, max_age: timedelta):
        super().__init__()
        self.chain = chain
        self._signing_time = signing_time
        self._now = now
        self._max_age = max_age

    def get_cert_chain_verifier(self, ca_pem_file, ee_policy, ca_policy):
        return self.chain

    def _verify_signing_time(self, verify_result):
        # Called with the verified signed properties: the time the chain was checked at must be the signed one.
        nodes = verify_result.signed_xml.findall("xades:SignedSignatureProperties/xades:SigningTime", _NS)
        if len(nodes) != 1 or _datetime(nodes[0].text) != self._signing_time:
            raise SignatureRefused("malformed", "Podpis nie zawiera jednoznacznego czasu złożenia.")
        if self._signing_time > self._now + CLOCK_SKEW:
            raise SignatureRefused(
                "signing-time",
                f"Czas złożenia podpisu ({_warsaw_text(self._signing_time)}) jest w przyszłości. Sprawdź zegar "
                "komputera, na którym podpisano cenniki, i podpisz je ponownie.",
            )
        if self._signing_time < self._now - self._max_age:
            raise SignatureRefused(
                "signing-time",
                f"Podpis złożono {_warsaw_text(self._signing_time)}, zbyt dawno, by go przyjąć. Podpisz cenniki i "
                "wyślij je ponownie.",
            )

    def _verify_cert_digests(self, verify_result):
        try:
            super()._verify_cert_digests(verify_result)
        except InvalidDigest:
            raise SignatureRefused(
                "certificate-digest",
                "Skrót certyfikatu w podpisanych właściwościach (SigningCertificate) nie odpowiada certyfikatowi, "
                "którym złożono podpis.",
            ) from None


class _TrustedChain:
    """What signxml asks to verify the certificates in KeyInfo: the signer's certificate (returned), qualified and
    valid at the signing time, on a path to one of the trusted roots."""

    def __init__(self, roots: list[x509.Certificate], signing_time: datetime):
        self._roots = roots
        self._signing_time = signing_time
        self.signer: x509.Certificate | None = None

    def verify(self, certificates: list[x509.Certificate]) -> x509.Certificate:
        leaf = _leaf(certificates)
        _validity_check(leaf, self._signing_time)
        _qualified_check(leaf)
        # Anchors come from the trusted list only; a self-signed certificate in KeyInfo is never one.
        intermediates = [cert for cert in certificates if cert is not leaf and cert.issuer != cert.subject]
        builder = (
            PolicyBuilder()
            .store(Store(self._roots))
            .time(self._signing_time)
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
        )
        try:
            builder.build_client_verifier().verify(leaf, intermediates)
        except VerificationError:
            raise _untrusted() from None
        self.signer = leaf
        return leaf


def _untrusted() -> SignatureRefused:
    return SignatureRefused(
        "untrusted",
        "Certyfikatu podpisującego nie wystawił zaufany kwalifikowany dostawca usług zaufania: nie da się zbudować "
        "ścieżki certyfikacji do żadnego z zaufanych urzędów.",
    )


def _parser() -> etree.XMLParser:
    # A parser per call (lxml's are not thread-safe); nothing is fetched, expanded or loaded from a DTD.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(xml: bytes) -> etree._Element:
    try:
        tree = etree.fromstring(xml, parser=_parser()).getroottree()
    except etree.XMLSyntaxError:
        raise SignatureRefused("malformed", "Przesłany dokument nie jest poprawnym dokumentem XML.") from None
    if tree.docinfo.doctype:
        raise SignatureRefused("malformed", "Dokument cenników nie może zawierać deklaracji DOCTYPE.")
    return tree.getroot()


def _datetime(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _claimed_signing_time(signature: etree._Element) -> datetime:
    nodes = signature.findall(_SIGNING_TIME, _NS)
    moment = _datetime(nodes[0].text) if len(nodes) == 1 else None
    if moment is None:
        raise SignatureRefused("malformed", "Podpis nie zawiera czasu złożenia (xades:SigningTime).")
    return moment


def _warsaw_text(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def _leaf(certificates: list[x509.Certificate]) -> x509.Certificate:
    """The one certificate in KeyInfo that issued none of the others."""
    leaves = [
        cert
        for cert in certificates
        if not any(other is not cert and other.issuer == cert.subject for other in certificates)
    ]
    if len(leaves) != 1:
        raise SignatureRefused("malformed", "Certyfikaty w podpisie nie tworzą jednego łańcucha.")
    return leaves[0]


def _validity_check(certificate: x509.Certificate, signing_time: datetime) -> None:
    if signing_time > certificate.not_valid_after_utc:
        raise SignatureRefused(
            "expired",
            f"Certyfikat podpisującego wygasł {_warsaw_text(certificate.not_valid_after_utc)}, przed złożeniem "
            "podpisu. Podpisz cenniki ważnym certyfikatem kwalifikowanym.",
        )
    if signing_time < certificate.not_valid_before_utc:
        raise SignatureRefused(
            "expired",
            f"Certyfikat podpisującego jest ważny dopiero od {_warsaw_text(certificate.not_valid_before_utc)}, "
            "a podpis złożono wcześniej.",
        )


def _qualified_check(certificate: x509.Certificate) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        non_repudiation = usage.content_commitment
    except x509.ExtensionNotFound:
        non_repudiation = False
    statements = _qc_statements(certificate)
    qualified = QC_COMPLIANCE in statements and QC_SSCD in statements
    esign = QC_TYPE not in statements or QC_TYPE_ESIGN in statements[QC_TYPE]
    if not (non_repudiation and qualified and esign):
        raise SignatureRefused(
            "not-qualified",
            "Cenniki podpisano certyfikatem, który nie jest kwalifikowanym certyfikatem podpisu elektronicznego "
            "(wymagane: użycie klucza nonRepudiation i deklaracje QcCompliance, QcSSCD). Wybierz certyfikat podpisu "
            "kwalifikowanego.",
        )


def _qc_statements(certificate: x509.Certificate) -> dict[str, list[str]]:
    """The QC statements (RFC 3739) by id; for QcType, the types it lists. Unreadable ones count as absent."""
    try:
        value = certificate.extensions.get_extension_for_oid(QC_STATEMENTS).value.value
        statements = {}
        for tag, statement in _der_items(_der_single(value, 0x30)):
            if tag != 0x30:
                continue
            parts = _der_items(statement)
            if not parts or parts[0][0] != 0x06:
                continue
            info = []
            if len(parts) > 1 and parts[1][0] == 0x30:
                info = [_oid_text(content) for item_tag, content in _der_items(parts[1][1]) if item_tag == 0x06]
            statements[_oid_text(parts[0][1])] = info
        return statements
    except (x509.ExtensionNotFound, ValueError, IndexError):
        return {}


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
    items, offset = [], 0
    while offset < len(data):
        tag, length = data[offset], data[offset + 1]
        offset += 2
        if length & 0x80:
            octets = length & 0x7F
            length = int.from_bytes(data[offset : offset + octets], "big")
            offset += octets
        if offset + length > len(data):
            raise ValueError("truncated DER")
        items.append((tag, data[offset : offset + length]))
        offset += length
    return items


def _der_single(data: bytes, tag: int) -> bytes:
    items = _der_items(data)
    if len(items) != 1 or items[0][0] != tag:
        raise ValueError("unexpected DER")
    return items[0][1]


def _oid_text(content: bytes) -> str:
    arcs, value = [], 0
    for octet in content:
        value = value << 7 | octet & 0x7F
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - first * 40, *arcs[1:]])


def _summary(signed_root: etree._Element, *, signing_time: datetime, signer: x509.Certificate) -> VerifiedPriceLists:
    created_at = _datetime(signed_root.get("created_at"))
    if created_at is None or not signed_root.get("entity_id"):
        raise _content_refused("Brak identyfikatora podmiotu albo czasu utworzenia dokumentu.")
    payers = []
    for payer in signed_root.findall("p:Payer", _NS):
        services = []
        for group in payer.findall("p:Group", _NS):
            for service in group.findall("p:Service", _NS):
                price = service.get("price", "")
                if not _PRICE.fullmatch(price):
                    raise _content_refused(f"Nieprawidłowa cena usługi „{service.get('name', '')}”: „{price}”.")
                services.append(
                    VerifiedService(
                        id=_required(service, "id"),
                        base_service_id=_required(service, "base_service_id"),
                        group_id=_required(group, "id"),
                        group_name=_required(group, "name"),
                        name=_required(service, "name"),
                        price=Decimal(price),
                    )
                )
        payers.append(
            VerifiedPayer(
                id=_required(payer, "id"),
                osoz_id=_required(payer, "osoz_id"),
                nip=payer.get("nip", ""),
                name=_required(payer, "name"),
                services=tuple(services),
            )
        )
    serial_numbers = signer.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return VerifiedPriceLists(
        document_id=signed_root.get("Id"),
        entity_id=signed_root.get("entity_id"),
        created_at=created_at,
        signed_at=signing_time,
        signer=signer.subject.rfc4514_string(_NAME_LABELS),
        signer_serial_number=str(serial_numbers[0].value) if serial_numbers else "",
        payers=tuple(payers),
    )


def _required(node: etree._Element, attribute: str) -> str:
    value = node.get(attribute)
    if not value:
        raise _content_refused(f"Element {etree.QName(node).localname} nie ma atrybutu {attribute}.")
    return value


def _content_refused(detail: str) -> SignatureRefused:
    return SignatureRefused("invalid-content", f"Podpisany dokument cenników jest niepoprawny: {detail}")
