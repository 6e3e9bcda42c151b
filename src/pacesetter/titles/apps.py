from django.apps import AppConfig


class TitlesConfig(AppConfig):
    name = "pacesetter.titles"
    label = "titles"
    verbose_name = "Titles"
