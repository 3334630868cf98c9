from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "loket.notifications"
    label = "notifications"
