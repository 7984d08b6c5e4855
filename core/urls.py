from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("dane/audyty/", views.audit_list, name="audit_list"),
]
