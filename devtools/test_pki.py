"""A test PKI shaped like the Polish qualified-signature one, for the tests and the demo of the price lists sent to
OSOZ: a root (in the role of NCCert), a qualified trust service's CA under it, and a person's signing certificate with
serialNumber=PNOPL-<PESEL>, the QCP-n-qscd policy and the eIDAS QC statements, handed over as the PKCS#12 file an
administrator uploads.

Keys are EC P-256, derived from a seed, so the same call gives the same keys, names and serial numbers (only the
ECDSA signatures differ): fast enough to build a chain per test, and ECDSA-SHA256 is accepted by XAdES, xmlsec1 and
cryptography's verifier alike. Real Polish qualified certificates mostly carry RSA keys on a card; key_type="rsa"
builds one (RSA-2048, random, slower) so that path is tested too. Nothing here is imported by the product; the
sandbox's tests may use it."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, ObjectIdentifier

# The instant the default certificates are built around; tests pass their own `now` and never read the real clock.
FIXED_INSTANT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PASSWORD = "Podpis-Kwalifikowany-2026"
# A valid PESEL (python-stdnum's checksum) of a man born on 14.05.1980; the product never sees a real one here.
TEST_PESEL = "80051401456"

# ETSI EN 319 411-2: the policy of qualified certificates for natural persons with the key on a QSCD.
QCP_N_QSCD = ObjectIdentifier("0.4.0.194112.1.2")
# RFC 3739 id-pe-qcStatements and the ETSI EN 319 412-5 / 412-1 statements it carries.
QC_STATEMENTS = ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QCS_PKIX_SYNTAX_V2 = "1.3.6.1.5.5.7.11.2"
SEMANTICS_NATURAL_PERSON = "0.4.0.194121.1.1"
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_PDS = "0.4.0.1862.1.5"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# The authorities' certificates span the signer's whatever validity a test asks for.
_CA_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
_CA_VALID_TO = datetime(2045, 12, 31, tzinfo=UTC)


def key_usage(*, digital_signature=False, non_repudiation=False, key_encipherment=False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


# What Polish qualified signature certificates carry (ETSI EN 319 412-2 §4.3.2 asks for nonRepudiation).
QUALIFIED_KEY_USAGE = key_usage(digital_signature=True, non_repudiation=True)


@dataclass(frozen=True)
class Pki:
    pkcs12: bytes
    password: str
    root_pem: bytes
    intermediate_pem: bytes
    signer_pem: bytes
    # For the tests that sign without the product's signer (the sandbox's own tests).
    signer_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    signer: x509.Certificate
    intermediate: x509.Certificate
    root: x509.Certificate


def pki_build(
    *,
    seed: str = "test",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    usage: x509.KeyUsage = QUALIFIED_KEY_USAGE,
    qualified: bool = True,
    qc_type: str = QC_TYPE_ESIGN,
    key_type: str = "ec",
    with_private_key: bool = True,
    password: str = PASSWORD,
) -> Pki:
    """Root → qualified CA → Jan Kowalski's signing certificate, and his PKCS#12 file (key, certificate, chain).

    The same seed gives the same keys; another seed gives a look-alike PKI (same names) that no one trusts, as a
    forger would build it. The signer's certificate is valid from valid_from to valid_to (by default a year either
    side of FIXED_INSTANT); qualified=False leaves out the qualified policy and QC statements."""
    valid_from = valid_from or FIXED_INSTANT - timedelta(days=365)
    valid_to = valid_to or FIXED_INSTANT + timedelta(days=365)

    root_key = _ec_key(seed, "root")
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Narodowe Centrum Certyfikacji (test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test NCCert 2020"),
        ]
    )
    root = (
        _builder(seed, "root", root_name, root_name, root_key.public_key(), _CA_VALID_FROM, _CA_VALID_TO)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )

    ca_key = _ec_key(seed, "intermediate")
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Testowe Centrum Kwalifikowane sp. z o.o."),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "VATPL-5250000000"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test Kwalifikowany CA 2026"),
        ]
    )
    intermediate = (
        _builder(seed, "intermediate", ca_name, root_name, ca_key.public_key(), _CA_VALID_FROM, _CA_VALID_TO)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(_authority_key_id(root), critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(QCP_N_QSCD, None)]), critical=False)
        .sign(root_key, hashes.SHA256())
    )

    if key_type == "ec":
        signer_key = _ec_key(seed, "signer")
    elif key_type == "rsa":
        signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"key_type is 'ec' or 'rsa', not {key_type!r}")
    signer_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Poradnia Testowa sp. z o.o."),
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPL-{TEST_PESEL}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
        ]
    )
    signer_builder = (
        _builder(seed, "signer", signer_name, ca_name, signer_key.public_key(), valid_from, valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(_authority_key_id(intermediate), critical=False)
    )
    if qualified:
        signer_builder = signer_builder.add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(QCP_N_QSCD, None)]), critical=False
        ).add_extension(x509.UnrecognizedExtension(QC_STATEMENTS, qc_statements_der(qc_type=qc_type)), critical=False)
    signer = signer_builder.sign(ca_key, hashes.SHA256())

    p12 = pkcs12.serialize_key_and_certificates(
        name=b"Jan Kowalski",
        key=signer_key if with_private_key else None,
        cert=signer,
        cas=[intermediate, root],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    return Pki(
        pkcs12=p12,
        password=password,
        root_pem=root.public_bytes(serialization.Encoding.PEM),
        intermediate_pem=intermediate.public_bytes(serialization.Encoding.PEM),
        signer_pem=signer.public_bytes(serialization.Encoding.PEM),
        signer_key=signer_key,
        signer=signer,
        intermediate=intermediate,
        root=root,
    )


def qc_statements_der(*, qc_type: str = QC_TYPE_ESIGN) -> bytes:
    """The QCStatements extension value (RFC 3739, ETSI EN 319 412-5) of a qualified certificate for electronic
    signatures of a natural person: the semantics of the PNOPL identifier, QcCompliance, QcSSCD, QcPDS and QcType.
    cryptography has no class for it, so the DER is written here."""
    statements = [
        _sequence(_oid(QCS_PKIX_SYNTAX_V2), _sequence(_oid(SEMANTICS_NATURAL_PERSON))),
        _sequence(_oid(QC_COMPLIANCE)),
        _sequence(_oid(QC_SSCD)),
        _sequence(
            _oid(QC_PDS),
            _sequence(_sequence(_tlv(0x16, b"https://qca.test.invalid/pds_pl.pdf"), _tlv(0x13, b"pl"))),
        ),
        _sequence(_oid(QC_TYPE), _sequence(_oid(qc_type))),
    ]
    return _sequence(*statements)


def _ec_key(seed: str, role: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(f"poradnia-test-pki:{seed}:{role}".encode()).digest(), "big")
    return ec.derive_private_key(scalar % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def _builder(seed, role, subject, issuer, public_key, valid_from, valid_to) -> x509.CertificateBuilder:
    # A positive serial of at most 20 octets (RFC 5280 §4.1.2.2), fixed for the seed and role.
    serial = int.from_bytes(hashlib.sha256(f"serial:{seed}:{role}".encode()).digest()[:16], "big") >> 1
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def _sequence(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))
