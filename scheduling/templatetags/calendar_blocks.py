"""The blocks of a calendar column as HTML. A busy day view draws thousands of them, more than the template engine
renders within the calendar's time budget, so they are composed here from escaped pieces; the grid around them
stays in templates/scheduling/calendar_grid.html."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from scheduling.models import AppointmentSource
from scheduling.selectors import BlockKind

register = template.Library()


def _icon(name: str, label: str) -> str:
    label = escape(label)
    return f'<svg class="icon" role="img" aria-label="{label}"><title>{label}</title><use href="#icon-{name}"/></svg>'


@register.simple_tag
def calendar_blocks(column, *, book_url: str, appointment_url: str, removed_url: str, can_book: bool) -> str:
    source_icons = {
        AppointmentSource.OSOZ: _icon("online", _("Umówienie on-line (OSOZ)")),
        AppointmentSource.PAYER: _icon("payer", _("Umówienie przez płatnika OSOZ")),
        AppointmentSource.PORTAL: _icon("portal", _("Umówienie w Portalu Pacjenta")),
    }
    televisit = _icon("televisit", _("Telewizyta"))
    free_title, removed_label = escape(_("Wolny termin")), escape(_("Termin usunięty"))
    parts = []
    for block in column.blocks:
        place = f"at-{block.row} len-{block.span}"
        time_label = f'<span class="time">{block.time_label}</span>'
        if block.kind == BlockKind.FREE:
            icons = televisit if block.televisit else ""
            if can_book:
                url = f"{book_url}?doctor={block.employee_id}&amp;start={block.start}"
                parts.append(
                    f'<button type="button" class="block free {place}" hx-get="{url}" title="{free_title}">'
                    f"{time_label}{icons}</button>"
                )
            else:
                parts.append(f'<span class="block free {place}" title="{free_title}">{time_label}{icons}</span>')
        elif block.kind == BlockKind.APPOINTMENT:
            icons = source_icons.get(block.source, "") + (televisit if block.televisit else "")
            parts.append(
                f'<button type="button" class="block appointment {block.status} {place}" '
                f'hx-get="{appointment_url}{block.object_id}/">{time_label}{icons} '
                f'<span class="who">{escape(block.patient_name)}</span></button>'
            )
        elif block.kind == BlockKind.HELD:
            # Not a button: nobody acts on a hold, it lapses or becomes the patient's appointment within minutes.
            held = escape(_("Rezerwacja w Portalu Pacjenta (do %(time)s)") % {"time": block.held_until})
            parts.append(f'<span class="block held {place}" title="{held}">{time_label} {held}</span>')
        else:
            parts.append(
                f'<button type="button" class="block removed {place}" hx-get="{removed_url}{block.object_id}/">'
                f"{time_label} {removed_label}</button>"
            )
    return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped or produced here
