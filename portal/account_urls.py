"""The portal's account pages."""

from django.urls import path

from portal import account_views

urlpatterns = [
    path("logowanie/", account_views.login, name="login"),
    path("wyloguj/", account_views.logout, name="logout"),
    path("rejestracja/", account_views.register, name="register"),
    path("potwierdz-email/", account_views.verify_pending, name="verify_pending"),
    path("potwierdz-email/<str:token>/", account_views.verify, name="verify"),
    path("nowe-haslo/", account_views.password_reset, name="password_reset"),
    path("nowe-haslo/<str:token>/", account_views.password_reset_confirm, name="password_reset_confirm"),
    path("polacz-z-karta/", account_views.link, name="link"),
    path("polacz-z-karta/kod/", account_views.link_code, name="link_code"),
]
