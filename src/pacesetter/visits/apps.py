from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "pacesetter.visits"
    label = "visits"
    verbose_name = "Visits"
    default_auto_field = "django.db.models.BigAutoField"
