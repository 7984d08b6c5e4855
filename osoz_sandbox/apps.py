from django.apps import AppConfig


class OsozSandboxConfig(AppConfig):
    name = "osoz_sandbox"
    verbose_name = "Piaskownica OSOZ"
