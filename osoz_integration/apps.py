from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OsozIntegrationConfig(AppConfig):
    name = "osoz_integration"
    verbose_name = _("Integracja OSOZ")
