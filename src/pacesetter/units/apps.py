from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "pacesetter.units"
    label = "units"
