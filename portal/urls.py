"""The patient portal's pages, under /portal/ (config.urls): the account, booking, and the patient's visits."""

from django.urls import include, path

from portal import guide_views

app_name = "portal"

urlpatterns = [
    path("", include("portal.account_urls")),
    path("", include("portal.booking_urls")),
    path("", include("portal.visit_urls")),
    path("videoporady/", guide_views.videoporady, name="videoporady"),
    path("videoporady/instrukcja.pdf", guide_views.videoporady_pdf, name="videoporady_pdf"),
    path("regulamin/", guide_views.regulamin, name="terms"),
]
