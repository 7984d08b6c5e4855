from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from core import api as core_api
from core import views as core_views
from core.permissions import IsVerified
from osoz_integration import webhooks as osoz_webhooks
from scheduling import api as scheduling_api

api_router = DefaultRouter()
api_router.register("audit-events", core_api.AuditEventViewSet, basename="audit-event")
api_router.register("appointments", scheduling_api.AppointmentViewSet, basename="appointment")
api_router.register("schedules", scheduling_api.ScheduleViewSet, basename="schedule")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("core.urls")),
    path("", include("clinic.urls")),
    path("pacjenci/", include("patients.urls")),
    path("kalendarz/", include("scheduling.urls")),
    path("", include("osoz_integration.urls")),
    # OSOZ calls these (signed webhooks, no login); their addresses are told to OSOZ with PUT /api/v1/integration.
    path("osoz/v1/booking-approval", osoz_webhooks.booking_approval, name="osoz_booking_approval"),
    path("osoz/v1/booking-events", osoz_webhooks.booking_events, name="osoz_booking_events"),
    # The language switch is on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/free-slots/", scheduling_api.FreeSlotsView.as_view(), name="api_free_slots"),
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsVerified]), name="api_schema"),
]
