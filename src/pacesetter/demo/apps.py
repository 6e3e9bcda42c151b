from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo's app: it brings the `demo` command and nothing else (no models)."""

    name = "pacesetter.demo"
    verbose_name = "Demo"
