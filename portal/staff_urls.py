"""The staff's pages of the portal (outside /portal/, under the staff login): Ustawienia > Portal Pacjenta."""

from django.urls import path

from portal import activation_views, offer_views

app_name = "portal_staff"

urlpatterns = [
    path("ustawienia/portal-pacjenta/", offer_views.portal_settings, name="settings"),
    path("ustawienia/portal-pacjenta/regulamin/", offer_views.portal_terms, name="terms"),
    path(
        "pacjenci/<int:patient_id>/kod-aktywacyjny-portalu/",
        activation_views.activation_code,
        name="activation_code",
    ),
]
