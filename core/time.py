"""Warsaw time and the Polish way of writing it, one copy each: every date the product shows or writes (pages, audit
texts, messages to OSOZ) is Europe/Warsaw wall-clock time written 05.12.2026 09:31 (templates: "d.m.Y H:i")."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(moment: datetime) -> datetime:
    """The same instant on the Warsaw wall clock."""
    return timezone.localtime(moment, WARSAW)


def datetime_pl(moment: datetime) -> str:
    """E.g. "05.12.2026 09:31" in Warsaw time."""
    return warsaw(moment).strftime("%d.%m.%Y %H:%M")
