"""The OSOZ sandbox run as `make demo` runs it, for the tests and the benchmark: a separate process reached only over
HTTP, and its Provider Service driven as an administrator's browser would drive it in the configuration wizard."""

import html
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_LOGIN = ("osoz-demo", "Osoz-demo-2026")  # osoz_sandbox/management/commands/sandbox_seed.py


class SandboxError(RuntimeError):
    """The sandbox did not start, a management command failed, or the Provider Service answered unexpectedly."""


class SandboxServer:
    """The OSOZ sandbox under uvicorn, with its own settings and its own SQLite database. stop() and start() keep
    the port and the database, so a test can take OSOZ down and bring it back."""

    def __init__(self, folder: Path, **env: str):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "osoz_sandbox.settings",
            "OSOZ_SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'sandbox.sqlite3'}",
            "OSOZ_SANDBOX_VAR_DIR": str(folder),
            "OSOZ_SANDBOX_SECRET_KEY": secrets.token_urlsafe(50),
            **env,
        }
        self.process = None

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise SandboxError(f"sandbox {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "osoz_sandbox.asgi:application", "--host", "127.0.0.1"]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [*command, "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SandboxError(f"the OSOZ sandbox did not start:\n{self.process.stderr.read()}")
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.yaml", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise SandboxError(f"the OSOZ sandbox did not answer on {self.url} within 30 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        self.process = None


# How the sandbox's patient site addresses a slot's booking form (osoz_sandbox/urls.py, views.SLOT_MOMENT_FORMAT).
SLOT_MOMENT_FORMAT = "%Y%m%d-%H%M%z"


def csrf_token(html: str) -> str:
    """The CSRF token of a Django form page, as a browser would submit it."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def booking_form_path(*, entity_id: str, doctor_id: object, schedule_id: object, starts_at) -> str:
    """The sandbox's booking form of one published slot."""
    moment = starts_at.strftime(SLOT_MOMENT_FORMAT)
    return f"/lbk/rezerwacja/{entity_id}/{doctor_id}/{schedule_id}/{moment}/"


def form_fields(page: str) -> dict[str, str]:
    """What a browser submits of a form's inputs as drawn: checked boxes as "on", other inputs with their value."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'\bname="([^"]+)"', tag)
        if name is None or re.search(r"\bdisabled\b", tag):
            continue
        if 'type="checkbox"' in tag:
            if re.search(r"\bchecked\b", tag):
                fields[name.group(1)] = "on"
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


# „Zarejestruj dane placówki” of the demo clinic (manual §14.1 step 3).
TELEVISIT_TERMS = {
    "operator_name": "Przychodnia Demo sp. z o.o.",
    "address": "ul. Zdrowa 1, 00-001 Warszawa",
    "nip": "5260250274",
    "regon": "012345678",
    "register_number": "000000012345",
    "email": "rejestracja@przychodnia-demo.pl",
    "phone": "22 100 20 30",
    "authorised_person": "Anna Administratorka",
    "authorised": "on",
}


def _expect(condition: bool, response: httpx.Response) -> None:
    if not condition:
        raise SandboxError(f"the Provider Service answered {response.status_code} at {response.url}:\n{response.text}")


def wizard_code(provider_url: str, *, cancel: bool = False) -> str:
    """Go through the Provider Service as the administrator's browser would: log in, confirm the data, accept the
    regulations. Returns the URL the Provider Service sends the browser back to."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        login = browser.get(provider_url)
        _expect(login.status_code == 200, login)
        next_url = re.search(r'name="next" value="([^"]+)"', login.text).group(1).replace("&amp;", "&")
        base = str(login.url.copy_with(path="/", query=None)).rstrip("/")
        logged_in = browser.post(
            f"{base}/provider/logowanie/",
            data={
                "username": SANDBOX_LOGIN[0],
                "password": SANDBOX_LOGIN[1],
                "next": next_url,
                "csrfmiddlewaretoken": csrf_token(login.text),
            },
            headers={"Referer": str(login.url)},
        )
        _expect(logged_in.status_code == 302, logged_in)
        confirm = browser.get(f"{base}{logged_in.headers['Location']}", follow_redirects=True)
        _expect("Połącz z systemem OSOZ" in confirm.text, confirm)
        choice = {"cancel": ""} if cancel else {"confirm_data": "on", "accept_terms": "on", "connect": ""}
        back = browser.post(
            str(confirm.url),
            data={**choice, "csrfmiddlewaretoken": csrf_token(confirm.text)},
            headers={"Referer": str(confirm.url)},
        )
        _expect(back.status_code == 302, back)
        return back.headers["Location"]


class ProviderService:
    """The sandbox's Provider Service as a logged-in administrator's browser drives it: the insurer half of manual
    §10 (the regulations of „Ubezpieczenia”, cooperation with insurers, and its end) and the televisit half of §14.1."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.browser = httpx.Client(base_url=self.base, follow_redirects=False, timeout=10)
        login = self.browser.get("/provider/logowanie/")
        _expect(login.status_code == 200, login)
        done = self._post(login, {"username": SANDBOX_LOGIN[0], "password": SANDBOX_LOGIN[1]})
        _expect(done.status_code == 302, done)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.browser.close()

    def _post(self, form_page: httpx.Response, data: dict) -> httpx.Response:
        return self.browser.post(
            str(form_page.url),
            data={**data, "csrfmiddlewaretoken": csrf_token(form_page.text)},
            headers={"Referer": str(form_page.url)},
        )

    def _submit(self, path: str, data: dict) -> httpx.Response:
        page = self.browser.get(path)
        _expect(page.status_code == 200, page)
        answer = self._post(page, data)
        _expect(answer.status_code == 302, answer)
        return answer

    def insurance_terms_accept(self) -> None:
        """Ubezpieczenia > Regulamin: confirm the clinic's data, accept the regulations (§10.1)."""
        if "Usługa „Ubezpieczenia” jest" in self.browser.get("/provider/ubezpieczenia/regulamin/").text:
            return
        self._submit("/provider/ubezpieczenia/regulamin/", {"confirm_data": "on"})
        self._submit("/provider/ubezpieczenia/regulamin/akceptacja/", {"accept_terms": "on"})

    def cooperate(self, *osoz_ids: str) -> None:
        """„Nawiąż współpracę” with each insurer, accepting its regulations (§10.3)."""
        self.insurance_terms_accept()
        for osoz_id in osoz_ids:
            self._submit(f"/provider/ubezpieczenia/ubezpieczyciele/{osoz_id}/wspolpraca/", {"accept_terms": "on"})

    def televisit_enable(self, *doctor_ids: str) -> None:
        """Manual §14.1: Telewizyta > Informacje „Włącz” (the demo), „Zarejestruj dane placówki”, Rejestracja
        on-line > Ustawienia „Telewizyta” and > Terminarz „Umożliwia telewizytę” at these doctors (by the ids the
        clinic publishes them under)."""
        info = self.browser.get("/provider/telewizyta/")
        _expect(info.status_code == 200, info)
        if ">Włącz</button>" in info.text:
            demo = self.browser.post(
                "/provider/telewizyta/wlacz/",
                data={"csrfmiddlewaretoken": csrf_token(info.text)},
                headers={"Referer": str(info.url)},
            )
            _expect(demo.status_code == 302, demo)
        self._submit("/provider/telewizyta/dane-placowki/", TELEVISIT_TERMS)
        page = self.browser.get("/provider/ustawienia/")
        saved = self._post(page, form_fields(page.text) | {"televisit": "on"})
        _expect(saved.status_code == 302, saved)
        self._submit("/provider/terminarz/", {"televisit": list(doctor_ids)})

    def cooperation_end(self, osoz_id: str) -> None:
        """„Zakończ współpracę”, confirmed (§10.4)."""
        self._submit(f"/provider/ubezpieczenia/ubezpieczyciele/{osoz_id}/zakonczenie/", {})
