"""The seed's sharing flow in real Chromium, driven by Playwright: an Owner
shares an entity with a contact group, sees the role as inherited by one of its
members, and the member finds the entity in their portal."""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections

from loket.accounts.models import User
from loket.audit import triggers
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles.models import RoleAssignment
from tests.conftest import PASSWORD, grant, make_user

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or ""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not CHROMIUM and os.environ.get("CI") != "true":
    pytestmark.append(
        pytest.mark.skip(reason="no Chromium found (apt-get install chromium)")
    )

NewPage = Callable[..., Any]


@pytest.fixture
def new_page(live_server: Any, settings: Any) -> Iterator[NewPage]:
    """Opens a page in a browser context of its own (its own cookies), so that
    two people can be signed in side by side."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the tests make around it are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.LOKET_BASE_URL = live_server.url
    assert CHROMIUM, "CI must have Chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        contexts: list[Any] = []

        def open_page(width: int = 360, height: int = 740) -> Any:
            context = browser.new_context(viewport={"width": width, "height": height})
            contexts.append(context)
            return context.new_page()

        try:
            yield open_page
        finally:
            for context in contexts:
                context.close()
            browser.close()
            # Playwright runs the test in a context of its own, where the ORM
            # opened a connection of its own: close it, or it outlives the test.
            connections.close_all()
    # Let the database be emptied after this transactional test.
    triggers.drop(connection)


@dataclass
class Firm:
    owner: User
    member: User
    group: Group
    entity: Entity


def arrange(language: str) -> Firm:
    """An Owner of an entity and a contact group that has no access yet."""
    owner = make_user("olga@firm.test", kind=User.Kind.STAFF, language=language)
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    grant(owner, "owner", entity)
    group = Group.objects.create(kind=Group.Kind.CONTACT, name="Directie De Vries")
    member = make_user("gerda@client.test", language=language, client_entity=entity)
    GroupMembership.objects.create(group=group, user=member)
    # Someone else, for the search to hide.
    make_user("henk@client.test", first_name="Henk", language=language)
    return Firm(owner, member, group, entity)


def sign_in(page: Any, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/sign-in/")
    page.locator('input[name="username"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()
    page.wait_for_url(f"{base_url}/")


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= 360)


@dataclass(frozen=True)
class Words:
    share: str
    assign_roles: str
    inherited: str
    contact_entity_staff: str
    via_group: str


ENGLISH = Words(
    share="Share",
    assign_roles="Assign roles",
    inherited="Inherited",
    contact_entity_staff="Contact – Entity Staff",
    via_group="via group {name}",
)
DUTCH = Words(
    share="Deel",
    assign_roles="Rollen toewijzen",
    inherited="Overgenomen",
    contact_entity_staff="Contactpersoon - Entiteitsmedewerker",
    via_group="via groep {name}",
)


def open_share_dialog(page: Any, base_url: str, firm: Firm, words: Words) -> None:
    """From the entity's page, through its Access tab, into the Share dialog."""
    page.goto(f"{base_url}/entities/{firm.entity.uuid}/")
    page.locator(f'nav.tabs a[href="/entities/{firm.entity.uuid}/access/"]').click()
    page.get_by_role("link", name=words.share, exact=True).click()
    page.wait_for_url(re.compile(rf"/entities/{firm.entity.uuid}/share/"))


def share_and_check(new_page: NewPage, base_url: str, firm: Firm, words: Words) -> None:
    page = new_page()
    sign_in(page, base_url, firm.owner.email)

    # Step 1: the search narrows the lists as one types.
    open_share_dialog(page, base_url, firm, words)
    assert fits_the_phone(page)
    page.locator('input[type="search"]').fill("directie")
    assert page.get_by_label("Henk Tester").is_hidden()
    page.get_by_label(firm.group.name).check()
    page.get_by_role("button", name=words.assign_roles).click()

    # Step 2: the roles for the group.
    block = page.get_by_role("group", name=firm.group.name)
    assert block.get_by_label(words.contact_entity_staff).is_visible()
    # Only contact roles are offered to a contact group.
    assert block.get_by_label(re.compile("Owner|Eigenaar")).count() == 0
    block.get_by_label(words.contact_entity_staff).check()
    assert fits_the_phone(page)
    page.get_by_role("button", name=words.share, exact=True).click()

    page.wait_for_url(f"{base_url}/entities/{firm.entity.uuid}/access/")
    assert page.locator(".message.success").is_visible()
    assert page.get_by_role("cell", name=firm.group.name).is_visible()
    assert fits_the_phone(page)
    assignment = RoleAssignment.objects.get(group=firm.group, entity=firm.entity)
    assert assignment.role.key == "contact-entity-staff"
    assert Event.objects.filter(
        verb=Event.Verb.ACCESS_GRANTED, entity=firm.entity
    ).exists()

    # The dialog again, for a member of the group: the role is inherited.
    page.get_by_role("link", name=words.share, exact=True).click()
    page.get_by_label(firm.member.full_name).check()
    page.get_by_role("button", name=words.assign_roles).click()
    block = page.get_by_role("group", name=firm.member.full_name)
    assert block.get_by_role("heading", name=words.inherited).is_visible()
    inherited = block.locator("ul.inherited li")
    assert inherited.count() == 1
    assert words.contact_entity_staff in inherited.inner_text()
    assert words.via_group.format(name=firm.group.name) in inherited.inner_text()

    # The member signs in elsewhere and finds the entity.
    member_page = new_page()
    sign_in(member_page, base_url, firm.member.email)
    member_page.goto(f"{base_url}/entities/")
    assert member_page.get_by_role("link", name=firm.entity.name).is_visible()


def test_an_owner_shares_an_entity_with_a_contact_group(
    new_page: NewPage, live_server: Any
) -> None:
    firm = arrange("en")
    share_and_check(new_page, live_server.url, firm, ENGLISH)


def test_een_eigenaar_deelt_een_entiteit_met_een_contactgroep(
    new_page: NewPage, live_server: Any
) -> None:
    firm = arrange("nl")

    def quick_page(width: int = 360, height: int = 740) -> Any:
        page = new_page(width, height)
        page.set_default_timeout(5000)  # fail fast while the texts are English
        return page

    share_and_check(quick_page, live_server.url, firm, DUTCH)
