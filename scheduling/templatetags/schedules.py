"""Struktura > Pracownicy is a page of clinic, a lower layer that cannot ask scheduling whose Harmonogramy a user may
open; its template asks here, so a link is offered only where the page behind it answers."""

from django import template

from scheduling.selectors import calendar_employees_for_user

register = template.Library()


@register.simple_tag
def schedule_employee_ids(user) -> set[int]:
    """The ids of the employees whose Harmonogramy this user may open: one query for the whole list."""
    if not user.has_perm("scheduling.view_schedule"):
        return set()
    return set(calendar_employees_for_user(user).values_list("pk", flat=True))
