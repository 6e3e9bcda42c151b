from django.apps import AppConfig


class ExperienceConfig(AppConfig):
    name = "pacesetter.experience"
    label = "experience"
