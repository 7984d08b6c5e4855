"""Text messages to patients' phones, behind one door like Django's e-mail backends: SMS_BACKEND names the class that
delivers them. There is no SMS gateway yet; a gateway's backend will be one more class here, the only code that speaks
to it. ConsoleBackend prints (development, the demo), LocmemBackend keeps them in `outbox` (tests). With none named
(production's default until a gateway is configured) nothing can reach a phone, so the portal offers no phone."""

import sys
import threading
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class ConsoleBackend:
    """Writes each message to stdout, as django.core.mail.backends.console does with e-mails."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        with self._lock:
            self.stream.write(f"SMS to: {message.to}\n{message.body}\n{'-' * 79}\n")
            self.stream.flush()


# What LocmemBackend has sent, oldest first; tests read and clear it, as they do django.core.mail.outbox.
outbox: list[SmsMessage] = []


class LocmemBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def sms_available() -> bool:
    """Whether a text message can be sent at all (SMS_BACKEND names a backend)."""
    return bool(settings.SMS_BACKEND)


def sms_send(*, to: str, body: str) -> None:
    """Send one text message through the configured backend."""
    import_string(settings.SMS_BACKEND)().send(SmsMessage(to=to, body=body))
