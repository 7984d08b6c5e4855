from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.forms import AuditFilterForm
from core.selectors import audit_events_filter

AUDIT_PAGE_SIZE = 50


@require_GET
def home(request):
    return render(request, "core/home.html")


@permission_required("core.view_auditevent", raise_exception=True)
@require_GET
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    events = audit_events_filter(**form.cleaned_data) if form.is_valid() else audit_events_filter()
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "querystring": _without_page(request.GET)}
    template = "core/audit_list_rows.html" if request.htmx else "core/audit_list.html"
    return render(request, template, context)


def _without_page(query):
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@never_cache
@login_not_required
def healthz(request):
    """For load balancers and the demo smoke test: answers 200 only when the database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request, exception):
    """An address nothing answers: the API's JSON error shape under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        message = _("Nie ma takiego adresu w API.")
        return JsonResponse({"error": {"code": "not_found", "message": message}}, status=404)
    return defaults.page_not_found(request, exception)
