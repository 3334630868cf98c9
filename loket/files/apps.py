from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "loket.files"
    label = "files"
