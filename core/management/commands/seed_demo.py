"""Load the demo clinic: each app that has a `demo` module seeds its part, in INSTALLED_APPS order. Idempotent."""

from importlib import import_module, util

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Loads the demo clinic (idempotent); refuses to run with DJANGO_ENV=production."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data are never loaded into a production installation.")
        with transaction.atomic():
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if util.find_spec(module_name) is not None:
                    import_module(module_name).seed(out=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo clinic ready."))
