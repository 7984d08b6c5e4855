"""One error shape for the whole API: {"error": {"code": ..., "message": ..., "fields": {...}}}."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _("Popraw błędy w przesłanych danych.")
        response.data = {"error": {"code": "invalid", "message": message, "fields": fields}}
    elif isinstance(exc, exceptions.Throttled):
        # DRF's own wording of the wait is never translated; Retry-After carries the same number.
        message = _("Zbyt wiele zapytań w krótkim czasie. Spróbuj ponownie za {seconds} s.").format(
            seconds=exc.wait or 1
        )
        response.data = {"error": {"code": "throttled", "message": message}}
    elif isinstance(exc, Http404):
        # DRF turns Django's Http404 into a NotFound carrying Http404's own (often empty, English) text.
        message = _("Nie znaleziono takiego obiektu albo nie masz do niego dostępu.")
        response.data = {"error": {"code": "not_found", "message": message}}
    else:
        detail = getattr(exc, "detail", "")
        response.data = {"error": {"code": getattr(detail, "code", "error"), "message": str(detail)}}
    return response
