from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pacesetter.core"
    label = "core"
