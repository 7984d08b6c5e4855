"""Demo staff accounts, one per role, with fixed TOTP secrets so a tester can log in with any authenticator."""

from dataclasses import dataclass

from accounts import roles, services
from accounts.models import User


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    role: str
    totp_secret: str


# Public demo credentials, printed by `make demo` and listed in README; seed_demo refuses to run in production.
DEMO_PASSWORD = "Poradnia-demo-2026"
DEMO_ACCOUNTS = (
    DemoAccount("admin", "Anna", "Nowak", roles.ADMINISTRATOR, "2OODXCRQXE3EFJ4WFPACISZXXCKV25CT"),
    DemoAccount("rejestracja", "Katarzyna", "Wiśniewska", roles.RECEPTION, "JNB5KCYXW6BFEJKXGJYIBNUIHK3N6XSX"),
    DemoAccount("lekarz", "Piotr", "Zieliński", roles.DOCTOR, "M6U2AAW6KPZEVS2IHO73B7XH3VVHQAUS"),
)


def seed(*, out) -> None:
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = services.staff_user_create(
                username=account.username,
                password=DEMO_PASSWORD,
                role=account.role,
                first_name=account.first_name,
                last_name=account.last_name,
                email=f"{account.username}@poradnia.example",
            )
        device = services.totp_device_confirmed(user)
        if device is None or services.totp_secret_base32(device) != account.totp_secret:
            services.totp_device_set(user=user, secret_base32=account.totp_secret)


def summary(*, out) -> None:
    out.write("Demo accounts (password / TOTP secret; a code: oathtool --totp -b SECRET):")
    for account in DEMO_ACCOUNTS:
        out.write(f"  {account.role:<14} {account.username:<12} {DEMO_PASSWORD}  {account.totp_secret}")
