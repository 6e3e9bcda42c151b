from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The bench suite's app: it brings the `bench` command and nothing else (no models)."""

    name = "pacesetter_bench"
    label = "bench"
    verbose_name = "Bench"
