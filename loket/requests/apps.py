from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "loket.requests"
    label = "requests"

    def ready(self) -> None:
        from loket.access import Capability
        from loket.entities import tabs
        from loket.requests import views

        tabs.register(
            "activities",
            _("Activities"),
            Capability.ACTIVITIES_VIEW,
            views.activities_tab,
            order=20,
        )
