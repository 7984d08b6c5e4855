from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("nowy/", views.patient_create, name="patient_create"),
    path("<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("<int:patient_id>/dostep-awaryjny/", views.patient_emergency_access, name="patient_emergency_access"),
    path("<int:patient_id>/karty-osoz/", views.osoz_card_add, name="osoz_card_add"),
    path("<int:patient_id>/karty-osoz/<int:card_id>/status/", views.osoz_card_status, name="osoz_card_status"),
]
