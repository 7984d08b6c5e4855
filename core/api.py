"""The API toolbox every app uses (one page shape) and the audit log endpoints: Dane > Audyty for machines."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.forms import AuditFilterForm
from core.models import AuditEvent
from core.selectors import audit_events_filter

# The one error shape (core.api_errors), and the statuses every operation may answer with it beside its own.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "minLength": 1},
                "fields": {"type": "object"},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"
ERROR_DESCRIPTIONS = {
    "400": "Invalid data: `fields` names each invalid field.",
    "403": "No session with a verified second factor, or no permission.",
    "404": "No such object, or not one this user may see.",
    "409": "Taken meanwhile (a slot booked by someone else).",
    "422": "Refused by a rule of the clinic (`code` names it, `message` says why in Polish).",
    "429": "Too many requests: wait Retry-After seconds.",
}


def errors_document(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer, in the one shape —
    400 when it takes parameters or a body, 404 on an object's path, 409 and 422 on writes, 403 and 429 always."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    _times_as_patterns(result["components"]["schemas"])
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            statuses = {"403", "429"}
            if operation.get("parameters") or "requestBody" in operation:
                statuses.add("400")
            if "{" in path or any(parameter["name"] == "page" for parameter in operation.get("parameters", [])):
                statuses.add("404")  # no such object, or no such page
            if method in {"post", "put", "patch", "delete"}:
                statuses |= {"409", "422"}
            for status in sorted(statuses):
                operation["responses"].setdefault(
                    status,
                    {
                        "description": ERROR_DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


class ListApi(APIView):
    """An endpoint answering a list one page at a time: `paginated_response` pages it, and drf-spectacular reads the
    page shape from `pagination_class`, so the schema and the answers agree."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS


def _times_as_patterns(node) -> None:
    """JSON Schema's "time" format is RFC 3339's, with a UTC offset; the API's times are Warsaw wall-clock times
    ("08:00" or "08:00:00"), so they are described by a pattern instead."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_PATTERN
        for child in node.values():
            _times_as_patterns(child)
    elif isinstance(node, list):
        for child in node:
            _times_as_patterns(child)


def paginated_response(*, serializer_class, queryset, request, view: ListApi) -> Response:
    """One page of `queryset` in the API's page shape ({"count", "next", "previous", "results"})."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class AuditEventOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_label",
            "category",
            "action",
            "message",
            "object_type",
            "object_id",
            "object_repr",
            "outcome",
            "ip_address",
        ]
        read_only_fields = fields


class AuditEventListApi(ListApi):
    """Dane > Audyty for machines: the same filters as the page (date_from, date_to, actor, category, outcome, text)."""

    action_permissions = {"get": ["core.view_auditevent"]}

    @extend_schema(responses=AuditEventOutputSerializer(many=True))
    def get(self, request):
        form = AuditFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        return paginated_response(
            serializer_class=AuditEventOutputSerializer,
            queryset=audit_events_filter(**form.cleaned_data),
            request=request,
            view=self,
        )


class AuditEventDetailApi(APIView):
    action_permissions = {"get": ["core.view_auditevent"]}

    @extend_schema(responses=AuditEventOutputSerializer)
    def get(self, request, pk):
        return Response(AuditEventOutputSerializer(get_object_or_404(AuditEvent, pk=pk)).data)
