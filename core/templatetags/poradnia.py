from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value: timedelta) -> int:
    """Whole minutes of a duration, rounded up, for messages like "spróbuj ponownie za 15 min"."""
    return -(-int(value.total_seconds()) // 60)
