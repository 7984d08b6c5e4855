"""The patient portal's pages, under /portal/ (config.urls): the account, booking, and the patient's visits."""

from django.urls import include, path

app_name = "portal"

urlpatterns = [
    path("", include("portal.account_urls")),
    path("", include("portal.booking_urls")),
    path("", include("portal.visit_urls")),
]
