from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    name = "loket.files"
    label = "files"

    def ready(self) -> None:
        from loket.access import Capability
        from loket.entities import tabs
        from loket.files import views

        tabs.register(
            "files", _("Files"), Capability.FILES_VIEW, views.files_tab, order=10
        )
