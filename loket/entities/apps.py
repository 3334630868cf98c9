from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "loket.entities"
    label = "entities"
