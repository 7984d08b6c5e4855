from django.urls import path

from osoz_integration import views

app_name = "osoz_integration"

urlpatterns = [
    path("ustawienia/osoz/", views.connection, name="connection"),
    path("ustawienia/osoz/kreator/", views.connection_wizard, name="connection_wizard"),
    path("ustawienia/osoz/powrot/", views.connection_callback, name="connection_callback"),
    path("ustawienia/osoz/integracja/", views.connection_switch, name="connection_switch"),
    path("ustawienia/osoz/sprawdz/", views.connection_check, name="connection_check"),
    path("ustawienia/osoz/telewizyta/", views.televisit_access, name="televisit_access"),
    path("ustawienia/osoz/stan/", views.status, name="status"),
    path("ustawienia/osoz/stan/uzgodnij/", views.reconciliation_start, name="reconciliation_start"),
    path("ustawienia/osoz/stan/odrzucone/<int:pk>/wyslij/", views.outbox_resend, name="outbox_resend"),
    path("ustawienia/osoz/stan/odrzucone/<int:pk>/pomin/", views.outbox_skip, name="outbox_skip"),
    path("uslugi-prywatne/platnicy/pobierz/", views.payers_fetch, name="payers_fetch"),
    path("uslugi-prywatne/platnicy/wyslij-cenniki/", views.pricelists_send, name="pricelists_send"),
]
