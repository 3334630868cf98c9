from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "loket.signatures"
    label = "signatures"
