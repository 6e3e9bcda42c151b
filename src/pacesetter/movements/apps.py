from django.apps import AppConfig


class MovementsConfig(AppConfig):
    name = "pacesetter.movements"
    label = "movements"
