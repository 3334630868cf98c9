from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "loket.roles"
    label = "roles"
