"""The staff API for schedules, free slots and appointments. Each endpoint is one view with its own nested
InputSerializer and OutputSerializer, calling the same services and selectors as the pages, with the same
permissions (a doctor sees only his own calendar) and the same rules; a refusal has the one error shape of
core.api_errors."""

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ListApi, paginated_response
from core.validators import validate_multiline_text, validate_text
from patients.models import Patient
from scheduling import selectors, services
from scheduling.models import (
    NOTES_MAX_LENGTH,
    Appointment,
    AppointmentKind,
    AppointmentSource,
    Schedule,
    ScheduleBlock,
)

MAX_WINDOW_DAYS = 92


class WindowSerializer(serializers.Serializer):
    """Whole Warsaw days from `date_from` to `date_to`, at most MAX_WINDOW_DAYS."""

    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, data):
        if data["date_to"] < data["date_from"]:
            raise serializers.ValidationError(_("Data „date_to” nie może być wcześniejsza niż „date_from”."))
        if data["date_to"] - data["date_from"] > timedelta(days=MAX_WINDOW_DAYS):
            raise serializers.ValidationError(
                ngettext(
                    "Okno może obejmować najwyżej %(days)d dzień.",
                    "Okno może obejmować najwyżej %(days)d dni.",
                    MAX_WINDOW_DAYS,
                )
                % {"days": MAX_WINDOW_DAYS}
            )
        return data


class FreeSlotsApi(APIView):
    """Free slots of the doctors this user may see, from the one slot engine."""

    action_permissions = {"get": ["scheduling.view_appointment"]}

    class InputSerializer(WindowSerializer):
        class Meta:
            ref_name = "FreeSlotsInput"

        employee = serializers.ListField(child=serializers.IntegerField(), required=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FreeSlotsOutput"

        employee = serializers.IntegerField(source="employee_id")
        schedule = serializers.IntegerField(source="schedule_id")
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, required=True),
            OpenApiParameter("date_to", str, required=True),
            OpenApiParameter("employee", int, many=True),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request):
        window = self.InputSerializer(
            data={**request.query_params.dict(), "employee": request.query_params.getlist("employee")}
        )
        window.is_valid(raise_exception=True)
        employees = selectors.calendar_employees_for_user(request.user)
        if window.validated_data.get("employee"):
            employees = employees.filter(id__in=window.validated_data["employee"])
        free = selectors.free_slots(
            employee_ids=employees.values_list("id", flat=True),
            date_from=window.validated_data["date_from"],
            date_to=window.validated_data["date_to"],
            not_before=timezone.now(),
        )
        slots = sorted(slot for employee_slots in free.values() for slot in employee_slots)
        return Response(self.OutputSerializer(slots, many=True).data)


# --- Appointments ---------------------------------------------------------------------------------------------------


class AppointmentOutputSerializer(serializers.ModelSerializer):
    """An appointment as every appointment endpoint answers with it."""

    class Meta:
        model = Appointment
        fields = [
            "id",
            "employee",
            "cell",
            "schedule",
            "patient",
            "starts_at",
            "ends_at",
            "status",
            "source",
            "kind",
            "is_nfz",
            "notes",
            "booked_by_label",
            "booked_at",
            "cancelled_by_label",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = fields


def _appointment(request, pk) -> Appointment:
    """One appointment this user may see (404 otherwise, as for one that does not exist)."""
    return selectors.appointment_for_user(user=request.user, appointment_id=pk)


class AppointmentListApi(ListApi):
    """Appointments of the doctors this user may see, optionally in a window of days; POST books one (409 when the
    slot is taken)."""

    action_permissions = {"get": ["scheduling.view_appointment"], "post": ["scheduling.add_appointment"]}

    class FilterSerializer(WindowSerializer):
        class Meta:
            ref_name = "AppointmentListFilter"

        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

        def validate(self, data):
            return super().validate(data) if {"date_from", "date_to"} <= data.keys() else data

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AppointmentListInput"

        employee = serializers.IntegerField(min_value=1)
        patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
        starts_at = serializers.DateTimeField()
        kind = serializers.ChoiceField(choices=AppointmentKind.choices, default=AppointmentKind.VISIT)
        notes = serializers.CharField(
            max_length=NOTES_MAX_LENGTH, allow_blank=True, default="", validators=[validate_multiline_text]
        )

    @extend_schema(
        parameters=[OpenApiParameter("date_from", str), OpenApiParameter("date_to", str)],
        responses=AppointmentOutputSerializer(many=True),
    )
    def get(self, request):
        window = self.FilterSerializer(data=request.query_params.dict())
        window.is_valid(raise_exception=True)
        appointments = selectors.appointments_for_user(request.user).order_by("starts_at", "id")
        if {"date_from", "date_to"} <= window.validated_data.keys():
            start, end = selectors.window_bounds(window.validated_data["date_from"], window.validated_data["date_to"])
            appointments = appointments.filter(starts_at__lt=end, ends_at__gt=start)
        return paginated_response(
            serializer_class=AppointmentOutputSerializer, queryset=appointments, request=request, view=self
        )

    @extend_schema(request=InputSerializer, responses={201: AppointmentOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employee = selectors.employee_for_user(user=request.user, employee_id=data.validated_data["employee"])
        appointment = services.appointment_book(
            employee_id=employee.pk,
            starts_at=data.validated_data["starts_at"],
            patient=data.validated_data["patient"],
            source=AppointmentSource.API,
            actor=request.user,
            kind=data.validated_data["kind"],
            notes=data.validated_data["notes"],
        )
        return Response(AppointmentOutputSerializer(appointment).data, status=status.HTTP_201_CREATED)


class AppointmentDetailApi(APIView):
    action_permissions = {"get": ["scheduling.view_appointment"]}

    @extend_schema(responses=AppointmentOutputSerializer)
    def get(self, request, pk):
        return Response(AppointmentOutputSerializer(_appointment(request, pk)).data)


class AppointmentCancelApi(APIView):
    action_permissions = {"post": ["scheduling.change_appointment"]}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AppointmentCancelInput"

        reason = serializers.CharField(max_length=300, allow_blank=True, default="", validators=[validate_text])

    @extend_schema(request=InputSerializer, responses=AppointmentOutputSerializer)
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_cancel(
            appointment=_appointment(request, pk),
            source=AppointmentSource.API,
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class AppointmentMoveApi(APIView):
    action_permissions = {"post": ["scheduling.change_appointment"]}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AppointmentMoveInput"

        starts_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses=AppointmentOutputSerializer)
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_move(
            appointment=_appointment(request, pk), starts_at=data.validated_data["starts_at"], actor=request.user
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class AppointmentConfirmApi(APIView):
    action_permissions = {"post": ["scheduling.change_appointment"]}

    @extend_schema(request=None, responses=AppointmentOutputSerializer)
    def post(self, request, pk):
        appointment = services.appointment_confirm(appointment=_appointment(request, pk))
        return Response(AppointmentOutputSerializer(appointment).data)


# --- Schedules -----------------------------------------------------------------------------------------------------


class ScheduleBlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduleBlock
        fields = ["weekday", "start_time", "end_time", "visit_minutes"]


class ScheduleOutputSerializer(serializers.ModelSerializer):
    blocks = ScheduleBlockSerializer(many=True, read_only=True)

    class Meta:
        model = Schedule
        fields = [
            "id",
            "employee",
            "cell",
            "valid_from",
            "valid_to",
            "is_nfz",
            "osoz_online",
            "osoz_requirement",
            "first_free_only",
            "children_sick",
            "children_healthy",
            "televisit_possible",
            "televisit_only",
            "blocks",
        ]
        read_only_fields = fields


class ScheduleInputSerializer(serializers.ModelSerializer):
    """A schedule with its whole weekly layout, written through `services.schedule_save` (SCH-1, SCH-2)."""

    blocks = ScheduleBlockSerializer(many=True)

    class Meta:
        model = Schedule
        fields = [field for field in ScheduleOutputSerializer.Meta.fields if field != "id"]


def _schedules_for(user):
    return Schedule.objects.filter(employee__in=selectors.calendar_employees_for_user(user))


def _schedule_save(request, schedule: Schedule) -> Schedule:
    data = ScheduleInputSerializer(schedule if schedule.pk else None, data=request.data)
    data.is_valid(raise_exception=True)
    fields = dict(data.validated_data)
    blocks = [services.BlockSpec(**block) for block in fields.pop("blocks")]
    for name, value in fields.items():
        setattr(schedule, name, value)
    return services.schedule_save(schedule=schedule, blocks=blocks, actor=request.user)


class ScheduleListApi(ListApi):
    """Schedules with their weekly layouts; POST adds one through the same rules as Harmonogramy."""

    action_permissions = {"get": ["scheduling.view_schedule"], "post": ["scheduling.add_schedule"]}

    @extend_schema(responses=ScheduleOutputSerializer(many=True))
    def get(self, request):
        schedules = _schedules_for(request.user).prefetch_related("blocks").order_by("id")
        return paginated_response(
            serializer_class=ScheduleOutputSerializer, queryset=schedules, request=request, view=self
        )

    @extend_schema(request=ScheduleInputSerializer, responses={201: ScheduleOutputSerializer})
    def post(self, request):
        schedule = _schedule_save(request, Schedule())
        return Response(ScheduleOutputSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailApi(APIView):
    action_permissions = {"get": ["scheduling.view_schedule"], "put": ["scheduling.change_schedule"]}

    @extend_schema(responses=ScheduleOutputSerializer)
    def get(self, request, pk):
        schedule = get_object_or_404(_schedules_for(request.user).prefetch_related("blocks"), pk=pk)
        return Response(ScheduleOutputSerializer(schedule).data)

    @extend_schema(request=ScheduleInputSerializer, responses=ScheduleOutputSerializer)
    def put(self, request, pk):
        schedule = _schedule_save(request, get_object_or_404(_schedules_for(request.user), pk=pk))
        return Response(ScheduleOutputSerializer(schedule).data)
