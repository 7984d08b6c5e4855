from django.urls import path

from clinic import views

app_name = "clinic"

# A page that both adds and edits has one name: reversed without a key it adds, with one it edits.
urlpatterns = [
    path("struktura/lokalizacje/", views.location_list, name="location_list"),
    path("struktura/lokalizacje/nowa/", views.location_edit, name="location_edit"),
    path("struktura/lokalizacje/<int:pk>/", views.location_edit, name="location_edit"),
    path("struktura/lokalizacje/<int:pk>/adres-z-komorki/", views.location_address, name="location_address"),
    path("struktura/lokalizacje/<int:location_pk>/komorki/nowa/", views.cell_edit, name="cell_edit"),
    path("struktura/komorki/<int:pk>/", views.cell_edit, name="cell_edit"),
    path("struktura/pracownicy/", views.employee_list, name="employee_list"),
    path("struktura/pracownicy/nowy/", views.employee_edit, name="employee_edit"),
    path("struktura/pracownicy/<int:pk>/", views.employee_edit, name="employee_edit"),
]
