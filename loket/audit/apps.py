from django.apps import AppConfig
from django.urls import path
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "loket.audit"
    label = "audit"

    def ready(self) -> None:
        from loket.access import Capability
        from loket.audit import views
        from loket.entities import tabs

        tabs.register(
            "history",
            _("History"),
            Capability.HISTORY_VIEW,
            views.entity_history,
            order=30,
            pages=[
                path("history.csv", views.entity_history_csv, name="history-csv"),
            ],
        )
