"""The entity page's tabs, shared by every view that draws one of them."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.entities.models import Entity

# (tab key, URL name, label, capability needed to see the tab)
TABS = [
    ("overview", "entities:detail", _("Overview"), Capability.ENTITY_VIEW),
    ("files", "entities:files", _("Files"), Capability.FILES_VIEW),
    ("activities", "entities:activities", _("Activities"), Capability.ACTIVITIES_VIEW),
    ("history", "entities:history", _("History"), Capability.HISTORY_VIEW),
    ("access", "entities:access", _("Access"), Capability.ENTITY_SHARE),
]


def entity_page(
    user: User, entity: Entity, tab: str, caps: frozenset[str] | None = None
) -> dict[str, Any]:
    """Template context for a tab of `entity`: the tabs `user` may open, the one
    shown, and the capabilities `user` holds there (`caps` when the page has
    read them already, else one query)."""
    if caps is None:
        caps = access.entity_capabilities(user, entity)
    return {
        "entity": entity,
        "tab": tab,
        "caps": caps,
        "tabs": [
            {"key": key, "url": reverse(name, args=[entity.uuid]), "label": label}
            for key, name, label, needed in TABS
            if needed in caps
        ],
    }


def tab_capability(tab: str) -> Capability:
    return next(needed for key, _n, _l, needed in TABS if key == tab)
