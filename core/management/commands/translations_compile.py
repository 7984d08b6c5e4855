"""Compile locale/*.po to .mo with Babel, so set-up needs no GNU gettext on the machine."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compiles the project's translation catalogues (locale/<lang>/LC_MESSAGES/*.po) into .mo files."

    def handle(self, *args, **options):
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file)
                with po_path.with_suffix(".mo").open("wb") as mo_file:
                    write_mo(mo_file, catalog)
                self.stdout.write(f"Compiled {po_path.relative_to(settings.BASE_DIR)}")
