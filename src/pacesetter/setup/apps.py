from django.apps import AppConfig


class SetupConfig(AppConfig):
    """Setup files: `pacesetter apply` and `pacesetter export`, above every app."""

    name = "pacesetter.setup"
    label = "setup"
