"""The entity page's tabs, shared by every view that draws one of them.

Overview is the entity's own page. The features add their tabs when Django
starts, each from its AppConfig.ready() (files: Files, requests: Activities,
audit: History, roles: Access), so this app draws them without importing them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity

# A tab's page: (request, entity_uuid) -> response.
TabView = Callable[[HttpRequest, UUID], HttpResponseBase]


@dataclass(frozen=True)
class Tab:
    key: str
    url_name: str
    label: StrOrPromise
    capability: Capability  # needed to see the tab
    order: int


OVERVIEW = Tab("overview", "entities:detail", _("Overview"), Capability.ENTITY_VIEW, 0)
_tabs: dict[str, Tab] = {OVERVIEW.key: OVERVIEW}
_urls: dict[str, list[URLPattern]] = {}


def register(
    key: str,
    label: StrOrPromise,
    capability: Capability,
    view: TabView,
    *,
    order: int,
    pages: Sequence[URLPattern] = (),
) -> None:
    """Add the tab `key` to the entity page, after the tabs of a lower `order`
    (Overview is 0), for those holding `capability`. `view` draws it at
    entities/<uuid>/<key>/ (URL name `entities:<key>`); `pages` are the tab's
    other URL patterns, under entities/<uuid>/ in the same namespace. Call it
    from the feature's AppConfig.ready()."""
    _tabs[key] = Tab(key, f"entities:{key}", label, capability, order)
    _urls[key] = [path(f"{key}/", view, name=key), *pages]


def tabs() -> list[Tab]:
    return sorted(_tabs.values(), key=lambda tab: tab.order)


def urlpatterns() -> list[URLPattern]:
    """The URL patterns of the registered tabs, under entities/<uuid>/."""
    if not apps.ready:  # the features register their tabs in ready()
        raise ImproperlyConfigured("The entity tabs were read before apps were ready.")
    return [pattern for tab in tabs() for pattern in _urls.get(tab.key, [])]


def entity_page(
    user: User, entity: Entity, tab: str, caps: frozenset[str] | None = None
) -> dict[str, Any]:
    """Template context for a tab of `entity`: the tabs `user` may open, the one
    shown, and the capabilities `user` holds there (one query, none when the
    caller hands over `caps`, read already)."""
    if caps is None:
        caps = access.entity_capabilities(user, entity)
    return {
        "entity": entity,
        "tab": tab,
        "caps": caps,
        "tabs": [
            {
                "key": shown.key,
                "url": reverse(shown.url_name, args=[entity.uuid]),
                "label": shown.label,
            }
            for shown in tabs()
            if shown.capability in caps
        ],
    }


def tab_capability(tab: str) -> Capability:
    return _tabs[tab].capability


def open_tab(request: HttpRequest, entity_uuid: UUID, tab: str) -> dict[str, Any]:
    """The context of one tab of a visible entity (see `entity_page`): 404
    outside, 403 without the tab's capability."""
    user = signed_in_user(request)
    entity, caps = get_entity_for_user(user, entity_uuid, need=tab_capability(tab))
    return entity_page(user, entity, tab, caps=caps)
