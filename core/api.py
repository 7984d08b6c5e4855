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


def paginated_response(*, serializer_class, queryset, request, view) -> Response:
    """One page of `queryset` in the API's page shape ({"count", "next", "previous", "results"})."""
    paginator = api_settings.DEFAULT_PAGINATION_CLASS()
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


class AuditEventListApi(APIView):
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
