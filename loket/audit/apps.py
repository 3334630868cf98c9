from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "loket.audit"
    label = "audit"
