from django.urls import path

from televisit import views

app_name = "televisit"

urlpatterns = [
    path("<int:appointment_id>/", views.televisit, name="televisit"),
    path("pacjent/<str:token>/", views.televisit_patient, name="televisit_patient"),
]
