"""The pages that gather the features: the home page and the Settings index."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from loket import access
from loket.access import Capability
from loket.core.http import signed_in_user
from loket.requests.home import asked_of_contact, asked_of_staff


def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if access.is_staff(user):
        return render(request, "portal/home_staff.html", asked_of_staff(user))
    entities = access.visible_entities(user).filter(archived_at__isnull=True)
    context = {"entities": entities.order_by("name")} | asked_of_contact(user)
    return render(request, "portal/home_contact.html", context)


# The sections of Settings, each shown to those holding its capability.
SETTINGS_SECTIONS = [
    ("staff:list", Capability.STAFF_MANAGE, _("Staff"), _("Invite and manage staff.")),
    (
        "roles:list",
        Capability.ROLES_MANAGE,
        _("Roles"),
        _("Built-in and custom roles, and firm-wide roles."),
    ),
    (
        "history:firm",
        Capability.HISTORY_VIEW_ALL,
        _("History"),
        _("Everything that happened in the firm."),
    ),
    (
        "notifications:settings",
        Capability.SETTINGS_MANAGE,
        _("E-mail"),
        _("Notifications, sender, reminders, and the e-mail log."),
    ),
    (
        "signatures:certificate",
        Capability.SETTINGS_MANAGE,
        _("Signing certificate"),
        _("The certificate that signs documents, and its validity."),
    ),
]


def settings_sections(held: frozenset[str]) -> list[dict[str, str]]:
    """The Settings sections open to someone holding the firm capabilities `held`."""
    sections = []
    for url_name, capability, title, text in SETTINGS_SECTIONS:
        if capability in held:
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            sections.append({"url": url, "title": str(title), "text": str(text)})
    return sections


def settings_index(request: HttpRequest) -> HttpResponse:
    sections = settings_sections(access.firm_capabilities(signed_in_user(request)))
    access.require(bool(sections))
    return render(request, "portal/settings.html", {"sections": sections})
