"""The staff API for schedules, free slots and appointments: thin callers of the same services and selectors as the
UI, with the same permissions (a doctor sees only his own calendar) and the same validation."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.models import Patient
from scheduling import selectors, services
from scheduling.models import Appointment, AppointmentKind, AppointmentSource, Schedule, ScheduleBlock

MAX_WINDOW_DAYS = 92


class WindowSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    employee = serializers.ListField(child=serializers.IntegerField(), required=False)

    def validate(self, data):
        if data["date_to"] < data["date_from"]:
            raise serializers.ValidationError("Data „date_to” nie może być wcześniejsza niż „date_from”.")
        if data["date_to"] - data["date_from"] > timedelta(days=MAX_WINDOW_DAYS):
            raise serializers.ValidationError(f"Okno może obejmować najwyżej {MAX_WINDOW_DAYS} dni.")
        return data


class SlotSerializer(serializers.Serializer):
    employee = serializers.IntegerField(source="employee_id")
    schedule = serializers.IntegerField(source="schedule_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class FreeSlotsView(APIView):
    """Free slots of the doctors this user may see, from the one slot engine."""

    action_permissions = {"get": ["scheduling.view_appointment"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, required=True),
            OpenApiParameter("date_to", str, required=True),
            OpenApiParameter("employee", int, many=True),
        ],
        responses=SlotSerializer(many=True),
    )
    def get(self, request):
        window = WindowSerializer(
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
        return Response(SlotSerializer(slots, many=True).data)


class AppointmentSerializer(serializers.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())

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
        read_only_fields = [
            "cell",
            "schedule",
            "ends_at",
            "status",
            "source",
            "is_nfz",
            "booked_by_label",
            "booked_at",
            "cancelled_by_label",
            "cancelled_at",
            "cancel_reason",
        ]


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class MoveSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()


class AppointmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Appointments of the doctors this user may see. Booking answers 409 when the slot is taken."""

    serializer_class = AppointmentSerializer
    queryset = Appointment.objects.none()
    action_permissions = {
        "create": ["scheduling.add_appointment"],
        "cancel": ["scheduling.change_appointment"],
        "move": ["scheduling.change_appointment"],
        "confirm": ["scheduling.change_appointment"],
    }

    def get_queryset(self):
        appointments = selectors.appointments_for_user(self.request.user).order_by("starts_at", "id")
        window = WindowSerializer(data=self.request.query_params.dict()) if self.action == "list" else None
        if window is not None and {"date_from", "date_to"} <= self.request.query_params.keys():
            window.is_valid(raise_exception=True)
            start, end = selectors.window_bounds(window.validated_data["date_from"], window.validated_data["date_to"])
            appointments = appointments.filter(starts_at__lt=end, ends_at__gt=start)
        return appointments

    def create(self, request):
        data = AppointmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employee = selectors.employee_for_user(user=request.user, employee_id=data.validated_data["employee"].pk)
        appointment = services.appointment_book(
            employee_id=employee.pk,
            starts_at=data.validated_data["starts_at"],
            patient=data.validated_data["patient"],
            source=AppointmentSource.API,
            actor=request.user,
            kind=data.validated_data.get("kind", AppointmentKind.VISIT),
            notes=data.validated_data.get("notes", ""),
        )
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_cancel(
            appointment=self.get_object(),
            source=AppointmentSource.API,
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=MoveSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_move(
            appointment=self.get_object(), starts_at=data.validated_data["starts_at"], actor=request.user
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=None, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return Response(AppointmentSerializer(services.appointment_confirm(appointment=self.get_object())).data)


class ScheduleBlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduleBlock
        fields = ["weekday", "start_time", "end_time", "visit_minutes"]


class ScheduleSerializer(serializers.ModelSerializer):
    blocks = ScheduleBlockSerializer(many=True)

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

    def save(self, **kwargs):
        blocks = [services.BlockSpec(**block) for block in self.validated_data.pop("blocks")]
        schedule = self.instance or Schedule()
        for name, value in self.validated_data.items():
            setattr(schedule, name, value)
        self.instance = services.schedule_save(schedule=schedule, blocks=blocks, actor=kwargs["actor"])
        return self.instance


class ScheduleViewSet(viewsets.ModelViewSet):
    """Schedules with their weekly layouts; writes go through the same rules as Harmonogramy."""

    serializer_class = ScheduleSerializer
    queryset = Schedule.objects.none()
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        employees = selectors.calendar_employees_for_user(self.request.user)
        return Schedule.objects.filter(employee__in=employees).prefetch_related("blocks").order_by("id")

    def perform_create(self, serializer):
        serializer.save(actor=self.request.user)

    def perform_update(self, serializer):
        serializer.save(actor=self.request.user)
