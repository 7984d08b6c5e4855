"""Load the demo clinic: each app that has a `demo` module seeds its part, in INSTALLED_APPS order, and may print a
`summary` at the end. Idempotent."""

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
        modules = [
            import_module(f"{config.name}.demo")
            for config in apps.get_app_configs()
            if util.find_spec(f"{config.name}.demo") is not None
        ]
        with transaction.atomic():
            for module in modules:
                module.seed(out=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo clinic ready."))
        # What a tester needs to get in (the demo accounts) comes last, where it is seen.
        for module in modules:
            if hasattr(module, "summary"):
                module.summary(out=self.stdout)
