from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Rdzeń")

    def ready(self):
        from core.db import app_role_grant

        # Once per migrate, after every app's migrations: the application role's rights cover the new tables.
        post_migrate.connect(app_role_grant, sender=self, dispatch_uid="core.app_role_grant")
