from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Konta pracowników")

    def ready(self):
        from accounts.services import roles_sync_after_migrate

        # Permissions themselves are created on post_migrate, so the roles are brought in line right after.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="accounts.roles_sync")
