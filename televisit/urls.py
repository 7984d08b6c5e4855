from django.urls import path

from televisit import recording_views, views

app_name = "televisit"

urlpatterns = [
    path("<int:appointment_id>/", views.televisit, name="televisit"),
    path("pacjent/<str:token>/", views.televisit_patient, name="televisit_patient"),
    path(
        "pacjent/<str:token>/zalaczniki/",
        views.televisit_patient_attachments,
        name="televisit_patient_attachments",
    ),
    path(
        "pacjent/<str:token>/zalaczniki/<int:document_id>/",
        views.televisit_patient_attachment,
        name="televisit_patient_attachment",
    ),
    path("dokumenty/<int:document_id>/", views.visit_document, name="visit_document"),
    path("<int:appointment_id>/gotowosc/", views.televisit_ready, name="televisit_ready"),
    path("gotowi/", views.televisit_ready_list, name="televisit_ready_list"),
    path("<int:appointment_id>/czat/", views.visit_chat, name="visit_chat"),
    path("<int:appointment_id>/nagranie/", recording_views.recording_start, name="recording_start"),
    path("nagranie/<int:document_id>/<int:index>/", recording_views.recording_chunk, name="recording_chunk"),
    path("nagranie/<int:document_id>/koniec/", recording_views.recording_finish, name="recording_finish"),
]
