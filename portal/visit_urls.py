"""The patient's visits in the portal: a visit's page, its "Połącz", test connection and chat, and his files."""

from django.urls import path

from portal import visit_views

urlpatterns = [
    path("wizyty/<int:appointment_id>/", visit_views.visit, name="visit"),
    path("wizyty/<int:appointment_id>/polacz/", visit_views.visit_connect, name="visit_connect"),
    path("wizyty/<int:appointment_id>/test-polaczenia/", visit_views.visit_check, name="visit_check"),
    path("wizyty/<int:appointment_id>/czat/", visit_views.visit_chat, name="visit_chat"),
    path(
        "wizyty/<int:appointment_id>/dokumenty/<int:document_id>/",
        visit_views.visit_document,
        name="visit_document",
    ),
]
