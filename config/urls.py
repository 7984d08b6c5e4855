from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from core import api as core_api
from core import views as core_views

api_router = DefaultRouter()
api_router.register("audit-events", core_api.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
]
