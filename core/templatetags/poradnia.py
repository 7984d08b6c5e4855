from datetime import timedelta
from decimal import Decimal

from django import template

from core.money import money_pl

register = template.Library()


@register.filter
def minutes(value: timedelta) -> int:
    """Whole minutes of a duration, rounded up, for messages like "spróbuj ponownie za 15 min"."""
    return -(-int(value.total_seconds()) // 60)


@register.filter
def money(value: Decimal | None) -> str:
    """A złoty amount the Polish way: 1 234,50 zł; nothing for no amount."""
    return "" if value is None else money_pl(value)
