from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from core import api as core_api
from core import views as core_views
from core.permissions import IsVerified
from osoz_integration import webhooks as osoz_webhooks
from scheduling import api as scheduling_api

# The staff API: one view per endpoint (HackSoft's "APIs & Serializers"), every one behind core.permissions.
api_urlpatterns = [
    path("free-slots/", scheduling_api.FreeSlotsApi.as_view(), name="api_free_slots"),
    path("appointments/", scheduling_api.AppointmentListApi.as_view(), name="appointment-list"),
    path("appointments/<int:pk>/", scheduling_api.AppointmentDetailApi.as_view(), name="appointment-detail"),
    path("appointments/<int:pk>/cancel/", scheduling_api.AppointmentCancelApi.as_view(), name="appointment-cancel"),
    path("appointments/<int:pk>/move/", scheduling_api.AppointmentMoveApi.as_view(), name="appointment-move"),
    path("appointments/<int:pk>/confirm/", scheduling_api.AppointmentConfirmApi.as_view(), name="appointment-confirm"),
    path("schedules/", scheduling_api.ScheduleListApi.as_view(), name="schedule-list"),
    path("schedules/<int:pk>/", scheduling_api.ScheduleDetailApi.as_view(), name="schedule-detail"),
    path("audit-events/", core_api.AuditEventListApi.as_view(), name="audit-event-list"),
    path("audit-events/<int:pk>/", core_api.AuditEventDetailApi.as_view(), name="audit-event-detail"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("core.urls")),
    path("", include("clinic.urls")),
    path("pacjenci/", include("patients.urls")),
    path("kalendarz/", include("scheduling.urls")),
    path("uslugi-prywatne/", include("payers.urls")),
    path("telewizyta/", include("televisit.urls")),
    path("portal/", include("portal.urls")),
    path("", include("portal.staff_urls")),
    path("", include("osoz_integration.urls")),
    # OSOZ calls these (signed webhooks, no login); their addresses are told to OSOZ with PUT /api/v1/integration.
    path("osoz/v1/booking-approval", osoz_webhooks.booking_approval, name="osoz_booking_approval"),
    path("osoz/v1/booking-events", osoz_webhooks.booking_events, name="osoz_booking_events"),
    # The language switch is on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/", include(api_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsVerified]), name="api_schema"),
]

handler404 = core_views.page_not_found
