from django.apps import AppConfig


class FiguresConfig(AppConfig):
    name = "pacesetter.figures"
    label = "figures"
