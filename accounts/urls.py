from django.urls import path

from accounts import views

urlpatterns = [
    path("logowanie/", views.login, name="login"),
    path("logowanie/kod/", views.login_verify, name="login_verify"),
    path("logowanie/konfiguracja-kodu/", views.login_enrol, name="login_enrol"),
    path("wyloguj/", views.logout, name="logout"),
]
