from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "loket.requests"
    label = "requests"
