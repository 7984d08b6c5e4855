"""The reception's side of patients' portal accounts: the activation code printed from the patient's record, which
the patient types in the portal to link his account to that record (issue 18)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import DomainError
from patients.selectors import patient_for_user
from portal import accounts


@permission_required("patients.change_patient", raise_exception=True)
@never_cache
@require_POST
def activation_code(request, patient_id):
    """A new code, shown once on a page to print (only its hash is kept): POST, so that reloading or a link cannot
    replace the code the patient was handed."""
    patient = patient_for_user(user=request.user, patient_id=patient_id)
    try:
        code, row = accounts.activation_code_issue(patient=patient, user=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("patients:patient_detail", patient_id=patient.pk)
    context = {
        "patient": patient,
        "code": code,
        "expires_at": row.expires_at,
        "portal_url": request.build_absolute_uri(reverse("portal:login")),
    }
    return render(request, "portal/activation_code.html", context)
