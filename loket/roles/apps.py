from django.apps import AppConfig
from django.urls import path
from django.utils.translation import gettext_lazy as _


class RolesConfig(AppConfig):
    name = "loket.roles"
    label = "roles"

    def ready(self) -> None:
        from loket.access import Capability
        from loket.entities import tabs
        from loket.roles import views

        # The Access tab, with the Share dialog and the changes made from it.
        tabs.register(
            "access",
            _("Access"),
            Capability.ENTITY_SHARE,
            views.entity_access,
            order=40,
            pages=[
                path("share/", views.share, name="share"),
                path(
                    "access/<uuid:assignment_uuid>/change/",
                    views.access_change,
                    name="access-change",
                ),
                path(
                    "access/<uuid:assignment_uuid>/revoke/",
                    views.access_revoke,
                    name="access-revoke",
                ),
            ],
        )
