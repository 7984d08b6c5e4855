from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelevisitConfig(AppConfig):
    name = "televisit"
    verbose_name = _("Telewizyty")
