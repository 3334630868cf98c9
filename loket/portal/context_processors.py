"""What every page's frame shows: the firm's name, the staff menu and the
notification bell."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.notifications.models import Notification
from loket.portal.views import settings_sections


def _always(held: frozenset[str]) -> bool:
    return True


def _may_see_contacts(held: frozenset[str]) -> bool:
    return Capability.CONTACTS_VIEW in held


def _has_settings(held: frozenset[str]) -> bool:
    return bool(settings_sections(held))


# The firm menu for staff, in the seed's order. A section appears once its
# pages exist (Activities arrives with requests) and the user may use it.
STAFF_MENU: list[tuple[str, Any, Callable[[frozenset[str]], bool]]] = [
    ("contacts:list", _("Contacts"), _may_see_contacts),
    ("groups:list", _("Groups"), _always),
    ("entities:list", _("Entities"), _always),
    ("requests:list", _("Activities"), _always),
    ("settings:index", _("Settings"), _has_settings),
]


def _menu(request: HttpRequest, user: User) -> list[dict[str, Any]]:
    held = access.firm_capabilities(user)  # once for the whole menu
    items = []
    for name, label, shown in STAFF_MENU:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if shown(held):
            items.append(
                {"url": url, "label": label, "active": request.path.startswith(url)}
            )
    return items


def _unread(user: User) -> int:
    # One indexed query, counting at most 100: the bell shows "99+" beyond.
    return Notification.objects.unread().filter(user=user).values("pk")[:100].count()


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    menu: Any = []
    unread: Any = 0
    if isinstance(user, User) and access.is_staff(user):
        staff = user
        # Lazy: pages that never draw the menu run none of its queries.
        menu = SimpleLazyObject(lambda: _menu(request, staff))
    if isinstance(user, User):
        reader = user
        unread = SimpleLazyObject(lambda: _unread(reader))
    return {
        "firm_name": settings.LOKET_FIRM_NAME,
        "staff_menu": menu,
        "unread_notifications": unread,
    }
