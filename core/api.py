"""The audit log endpoint: Dane > Audyty for machines."""

from rest_framework import serializers, viewsets

from core.forms import AuditFilterForm
from core.models import AuditEvent
from core.selectors import audit_events_filter


class AuditEventSerializer(serializers.ModelSerializer):
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


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Dane > Audyty for machines: the same filters as the page (date_from, date_to, actor, category, outcome, text)."""

    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.all()

    def get_queryset(self):
        form = AuditFilterForm(self.request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        return audit_events_filter(**form.cleaned_data)
