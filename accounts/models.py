from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff account. Accounts that ever acted are deactivated, never deleted (the audit log keeps them)."""

    class Meta:
        verbose_name = _("konto pracownika")
        verbose_name_plural = _("konta pracowników")

    @property
    def audit_label(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    @property
    def role_names(self) -> list[str]:
        return [group.name for group in self.groups.all()]
