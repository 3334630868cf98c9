from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "loket.groups"
    label = "groups"
