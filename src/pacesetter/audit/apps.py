from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pacesetter.audit"
    label = "audit"
