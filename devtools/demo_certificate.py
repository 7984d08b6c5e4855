"""`make demo`: the test qualified certificate the demo's administrator signs the payers' price lists with (manual
§11.3, "Wyślij cenniki do OSOZ"), written to the demo's var/ (PORADNIA_VAR_DIR) as demo_podpis_kwalifikowany.p12, and
its test root written where the sandbox reads its trusted authorities (OSOZ_SANDBOX_TRUSTED_ROOTS_FILE, by default
the sandbox's var/osoz_sandbox_trusted_roots.pem), so the sandbox accepts what the demo signs. Prints where the file is
and its password. Run again at every demo start: the certificate is valid from yesterday for a year, the root keeps
its key (devtools.test_pki derives it)."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devtools.test_pki import pki_build

ROOT = Path(__file__).resolve().parent.parent


def demo_certificate_write(*, certificate: Path, roots: Path, now: datetime) -> str:
    """Write the PKCS#12 file and the trusted root; the file's password."""
    pki = pki_build(seed="demo", valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=365))
    for path in (certificate, roots):
        path.parent.mkdir(parents=True, exist_ok=True)
    certificate.write_bytes(pki.pkcs12)
    roots.write_bytes(pki.root_pem)
    return pki.password


def main() -> None:
    var = Path(os.environ.get("OSOZ_SANDBOX_VAR_DIR") or ROOT / "var")
    roots = Path(os.environ.get("OSOZ_SANDBOX_TRUSTED_ROOTS_FILE") or var / "osoz_sandbox_trusted_roots.pem")
    certificate = Path(os.environ.get("PORADNIA_VAR_DIR") or ROOT / "var") / "demo_podpis_kwalifikowany.p12"
    password = demo_certificate_write(certificate=certificate, roots=roots, now=datetime.now(UTC))
    print(f"Podpis kwalifikowany (test) do „Wyślij cenniki do OSOZ”: {certificate}   hasło: {password}")


if __name__ == "__main__":
    main()
