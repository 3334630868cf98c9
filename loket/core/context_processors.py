from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User

# The firm menu for staff, in the seed's order. A section appears once its
# pages exist (later issues add Groups, Entities, Activities and Settings).
STAFF_MENU = [
    ("contacts:list", _("Contacts")),
    ("groups:list", _("Groups")),
    ("entities:list", _("Entities")),
    ("activities:list", _("Activities")),
    ("settings:index", _("Settings")),
]


def _menu(request: HttpRequest) -> list[dict[str, Any]]:
    items = []
    for name, label in STAFF_MENU:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(
            {"url": url, "label": label, "active": request.path.startswith(url)}
        )
    return items


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_staff = isinstance(user, User) and user.is_staff_member
    return {
        "firm_name": settings.LOKET_FIRM_NAME,
        "staff_menu": _menu(request) if is_staff else [],
    }
