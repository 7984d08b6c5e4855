"""Reads of the portal: the one rule of what a patient may see (SPEC POR, STYLE 3)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.models import PatientAccount
from scheduling.models import Appointment


def appointments_for_account(account: PatientAccount) -> QuerySet[Appointment]:
    """The appointments of the patient the account is linked to — nobody else's, whatever the URL asks for."""
    if account.patient_id is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(patient_id=account.patient_id).select_related(
        "employee", "cell", "cell__location"
    )


def appointment_for_account(*, account: PatientAccount, appointment_id: int) -> Appointment:
    """One of the patient's own appointments; 404 for any other, so another's id reveals nothing."""
    return get_object_or_404(appointments_for_account(account), pk=appointment_id)
