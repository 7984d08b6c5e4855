"""The portal's template filters."""

from django import template
from django.utils.translation import gettext_lazy as _

from scheduling.models import AppointmentStatus

register = template.Library()

# What the patient reads of a visit's status where the staff's words do not fit him: the reception's "pacjent
# przybył" is the clinic's note, and an open visit is simply under way.
PATIENT_STATUS = {
    AppointmentStatus.CONFIRMED: _("Potwierdzona"),
    AppointmentStatus.IN_VISIT: _("W trakcie"),
}


@register.filter
def patient_status(appointment) -> str:
    return PATIENT_STATUS.get(appointment.status, appointment.get_status_display())
