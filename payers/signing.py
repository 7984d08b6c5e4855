"""Qualified signatures of the price lists sent to OSOZ (PAY-6, manual §11.3): one small interface, `Signer`, so that
a remote qualified-signature service or a card reader can stand in later for today's `Pkcs12Signer`, which signs with
the PKCS#12 file and password the administrator provides for that one signature.

The signature is XAdES-BES, enveloped (signxml): one reference to the document's root by its Id, the signed
properties with the signing time and the digest of the signer's certificate (SigningCertificateV2), and the
certificate with its chain in KeyInfo, so OSOZ — and xmlsec1 — can build the path to the qualified trust service.
RSA keys sign RSA-SHA256, EC keys ECDSA-SHA256, digests are SHA-256.

Neither the password nor the key is ever stored or logged: the password only lives in the constructor's frame while
cryptography decrypts the file, and the key is dropped as soon as the one signature is made."""

from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, pkcs12
from cryptography.x509.oid import NameOID
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, methods
from signxml.util import xades_tag
from signxml.xades import XAdESDataObjectFormat, XAdESSigner

from core.errors import DomainError
from core.time import datetime_pl

# How the confirmation shows the subject's attributes; cryptography knows CN, O, C but writes serialNumber and
# the personal names as bare OIDs.
_SUBJECT_LABELS = {
    NameOID.COMMON_NAME: "CN",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.GIVEN_NAME: "GN",
    NameOID.SURNAME: "SN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.EMAIL_ADDRESS: "E",
}
# id-pkcs7-data / id-pkcs7-signedData, the ContentInfo types a PKCS#12 file's authSafe may have (RFC 7292 §4).
_PKCS7_CONTENT_PREFIX = bytes.fromhex("06092a864886f70d0107")


class SigningError(DomainError):
    """The certificate file cannot sign; the message says why in Polish, nothing was signed or sent."""

    code = "signing"


class Signer(Protocol):
    def subject(self) -> str:
        """The signer's certificate subject, as the administrator confirms it before signing."""

    def sign(self, xml: bytes) -> bytes:
        """The document signed XAdES-BES, enveloped; the root must carry the Id the signature references."""


class Pkcs12Signer:
    """Signs with a PKCS#12 file (.p12/.pfx) and its password. Refuses, with a SigningError, a file that is not
    PKCS#12, a wrong password, a file without the private key, a certificate not valid at `now` and one whose key
    usage allows no signatures (neither digitalSignature nor nonRepudiation). Whether the certificate is a
    qualified one from a trusted authority is OSOZ's decision; its refusal reaches the administrator as well.

    `now` is the moment of the signature (the current time unless given): the certificate must be valid then, and it
    is the signing time the signature declares."""

    def __init__(self, data: bytes, password: str, *, now: datetime | None = None):
        self._now = now or timezone.now()
        if not _looks_like_pkcs12(data):
            raise SigningError(_("Wybrany plik nie jest plikiem certyfikatu PKCS#12 (.p12 lub .pfx)."), code="format")
        try:
            key, certificate, additional = pkcs12.load_key_and_certificates(data, password.encode() or None)
        except ValueError:
            # The file's structure was checked above, so what fails now is its decryption.
            raise SigningError(
                _("Nieprawidłowe hasło do pliku certyfikatu albo plik jest uszkodzony."), code="password"
            ) from None
        # Without the key cryptography hands every certificate over as an additional one, so the key comes first.
        if key is None:
            raise SigningError(
                _("Plik PKCS#12 nie zawiera klucza prywatnego — wyeksportuj certyfikat razem z kluczem."),
                code="no_key",
            )
        if certificate is None:
            raise SigningError(_("Plik PKCS#12 nie zawiera certyfikatu."), code="no_certificate")
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SigningError(_("Klucz w pliku PKCS#12 nie jest kluczem RSA ani EC."), code="key_type")
        if _public_der(key.public_key()) != _public_der(certificate.public_key()):
            raise SigningError(_("Klucz prywatny w pliku nie pasuje do certyfikatu."), code="key_mismatch")
        _validity_check(certificate, self._now)
        _key_usage_check(certificate)
        self._key = key
        self._chain = [certificate, *_issuers(certificate, additional)]

    def subject(self) -> str:
        """E.g. "CN=Jan Kowalski, serialNumber=PNOPL-80051401456, SN=Kowalski, GN=Jan, O=…, C=PL"."""
        return _name_readable(self._chain[0].subject)

    def sign(self, xml: bytes) -> bytes:
        if self._key is None:
            raise RuntimeError("a Pkcs12Signer makes one signature; ask the administrator for the certificate again")
        key, self._key = self._key, None
        # Our own document, but never fetch or expand anything (a parser per call: lxml's are not thread-safe).
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        if not root.get("Id"):
            raise ValueError("the document's root needs the Id attribute the signature references")
        signer = _XAdESSigner(
            signing_time=self._now,
            method=methods.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256
            if isinstance(key, rsa.RSAPrivateKey)
            else SignatureMethod.ECDSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            # Canonical XML 1.1, signxml's default: the references to the signed properties and KeyInfo carry no
            # Transforms, so verifiers canonicalise them with inclusive C14N (1.1 in signxml, 1.0 in xmlsec1, the
            # same bytes for a document without xml:* attributes); exclusive C14N would break both.
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_1,
            data_object_format=XAdESDataObjectFormat(Description="Cenniki płatników OSOZ", MimeType="text/xml"),
        )
        signed = signer.sign(
            root,
            key=key,
            cert=self._chain,
            reference_uri=f"#{root.get('Id')}",
            # The certificate names the key; a KeyValue beside it would only be a second, unchecked claim.
            always_add_key_value=False,
        )
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


class _XAdESSigner(XAdESSigner):
    """signxml's XAdES signer with the signing time given, not read from the clock inside signxml."""

    def __init__(self, *, signing_time: datetime, **kwargs):
        super().__init__(**kwargs)
        self._signing_time = signing_time

    def add_signing_time(self, signed_signature_properties, sig_root, signing_settings):
        node = etree.SubElement(signed_signature_properties, xades_tag("SigningTime"), nsmap=self.namespaces)
        node.text = self._signing_time.astimezone(UTC).isoformat(timespec="seconds")


def _looks_like_pkcs12(data: bytes) -> bool:
    """A DER PFX (RFC 7292 §4): SEQUENCE { INTEGER 3, ContentInfo { id-pkcs7-data or -signedData, … }, … }. This is
    what tells a PEM file, a bare certificate or a document picked by mistake from a PKCS#12 file opened with the
    wrong password: cryptography reports both with the same ValueError."""
    if len(data) < 20 or data[0] != 0x30:
        return False
    header = 2 + (data[1] & 0x7F if data[1] & 0x80 else 0)
    return data[header : header + 4] == b"\x02\x01\x03\x30" and _PKCS7_CONTENT_PREFIX in data[header + 4 : header + 20]


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _validity_check(certificate: x509.Certificate, now: datetime) -> None:
    if now < certificate.not_valid_before_utc:
        raise SigningError(
            _("Certyfikat nie jest jeszcze ważny: będzie ważny od %(start)s.")
            % {"start": datetime_pl(certificate.not_valid_before_utc)},
            code="not_yet_valid",
        )
    if now > certificate.not_valid_after_utc:
        raise SigningError(
            _("Certyfikat wygasł %(end)s. Podpisz certyfikatem, który jest ważny.")
            % {"end": datetime_pl(certificate.not_valid_after_utc)},
            code="expired",
        )


def _key_usage_check(certificate: x509.Certificate) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    # Qualified signature certificates carry nonRepudiation, often alone (ETSI EN 319 412-2 §4.3.2), and the key of
    # one with digitalSignature signs as well; an encryption-only certificate cannot sign at all. Whether
    # digitalSignature alone is enough is OSOZ's call (the sandbox wants nonRepudiation).
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise SigningError(
            _("Ten certyfikat nie służy do podpisywania dokumentów. Wybierz certyfikat podpisu kwalifikowanego."),
            code="key_usage",
        )


def _issuers(certificate: x509.Certificate, candidates: list[x509.Certificate]) -> list[x509.Certificate]:
    """The chain above the certificate among those the file brought, leaf's issuer first; unrelated ones are left
    out, and the path stops at a self-signed certificate."""
    chain, current = [], certificate
    remaining = list(candidates)
    while current.issuer != current.subject:
        issuer = next((candidate for candidate in remaining if _issued_by(current, candidate)), None)
        if issuer is None:
            break
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return chain


def _issued_by(certificate: x509.Certificate, candidate: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(candidate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _name_readable(name: x509.Name) -> str:
    """Most specific attribute first, as certificate viewers show it."""
    parts = []
    for attribute in reversed(list(name)):
        label = _SUBJECT_LABELS.get(attribute.oid, attribute.oid.dotted_string)
        parts.append(f"{label}={attribute.value}")
    return ", ".join(parts)
