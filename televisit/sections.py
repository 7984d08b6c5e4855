"""The visit's "Wykonaj telewizytę" (TV-2, manual §15.2): a section of the visit (scheduling.sections) for a televisit
the user may conduct; it opens the televisit window in a tab of its own, so the visit stays open beside it (TV-7)."""

from django.template.loader import render_to_string


def visit_televisit(*, request, appointment) -> str:
    # The visit's view has already applied the visit's access rule (scheduling.selectors.visit_appointment_for_user).
    if not appointment.can_call_televisit():
        return ""
    return render_to_string("televisit/visit_televisit.html", {"appointment": appointment}, request=request)
