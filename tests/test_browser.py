"""Real Chromium, driven by Playwright, against the live server."""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections

from loket.accounts import actions
from loket.accounts.models import User
from loket.audit import triggers
from tests.conftest import make_user

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or ""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not CHROMIUM and os.environ.get("CI") != "true":
    pytestmark.append(
        pytest.mark.skip(reason="no Chromium found (apt-get install chromium)")
    )


@pytest.fixture
def browser_page(live_server: Any, settings: Any) -> Iterator[Any]:
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
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Playwright runs the test in a context of its own, where the ORM
            # opened a connection of its own: close it, or it outlives the test.
            connections.close_all()
    # Let the database be emptied after this transactional test.
    triggers.drop(connection)


def test_a_contact_activates_from_the_email_and_sees_the_dutch_portal(
    browser_page: Any, live_server: Any
) -> None:
    staff = make_user(
        "bram@firm.test", kind=User.Kind.STAFF, role="staff-administrator"
    )
    contact = make_user(
        "femke@client.test",
        state=User.State.NOT_ACTIVATED,
        language="nl",
        first_name="Femke",
    )
    actions.send_invitation(contact, actor=staff)
    assert len(mail.outbox) == 1
    link = next(
        word for word in mail.outbox[0].body.split() if "/accounts/activate/" in word
    )
    assert link.startswith(live_server.url)

    page = browser_page
    page.goto(link)
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("Femke-kiest-een-wachtwoord")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(
        "Femke-kiest-een-wachtwoord"
    )
    page.get_by_role("button", name="Mijn account activeren").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", name="Welkom, Femke").is_visible()
    assert page.get_by_text("Wat er van mij gevraagd wordt").is_visible()
    assert page.get_by_text("Welkom! Uw account is actief.").is_visible()
    # Fits a 360-pixel phone without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    contact.refresh_from_db()
    assert contact.state == User.State.ACTIVE


def test_an_administrator_signs_in_and_switches_to_dutch(
    browser_page: Any, live_server: Any
) -> None:
    make_user("anna@firm.test", kind=User.Kind.STAFF, role="administrator")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill("anna@firm.test")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Nederlands").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Contactpersonen").first.is_visible()
    assert page.get_by_role("button", name="Uitloggen").is_visible()
