"""Signature requests in a real browser, in Dutch: staff start one from
Activities → Nieuw, place the first signer's box on the page, two contacts
sign in order (one draws, one types), and poppler's pdfsig finds both
signatures and the seal valid."""

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.requests.models import Request
from loket.signatures import actions
from loket.signatures.models import Signer
from tests.conftest import grant, make_user
from tests.files_support import add
from tests.pdfs import A4, make_pdf
from tests.test_browser_seed_flows import (
    CHROMIUM,
    NewPage,
    fits_the_phone,
    new_page,
    sign_in,
)
from tests.test_signature_requests import current_pdf, pdfsig_report

__all__ = ["new_page"]  # the fixture, shared with the seed flows

# Signing and sealing run in the request cycle here; a busy machine is slow.
SLOW = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM, reason="no Chromium found"),
    pytest.mark.skipif(shutil.which("pdfsig") is None, reason="no poppler-utils"),
]


def test_in_dutch_two_contacts_sign_in_order_one_draws_one_types(
    new_page: NewPage, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    actions.generate_signing_certificate("Kantoor Test BV", actor=None)
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    staff = make_user("olga@firm.test", kind=User.Kind.STAFF, language="nl")
    grant(staff, "reader", entity)
    first = make_user(
        "daan@client.test", first_name="Daan", language="nl", client_entity=entity
    )
    second = make_user(
        "sanne@client.test", first_name="Sanne", language="nl", client_entity=entity
    )
    for person in (first, second):
        grant(person, "contact-entity-staff", entity)
    document = add(entity, staff, "contract.pdf", make_pdf())

    # Activities → Nieuw → Handtekeningverzoek: the entity, the PDF, the form.
    page = new_page(1200, 900)
    sign_in(page, base, staff.email)
    page.goto(f"{base}/activities/")
    page.get_by_text("Nieuw", exact=True).click()
    page.get_by_role("link", name="Handtekeningverzoek").click()
    page.get_by_role("link", name="Bakkerij de Vries BV").click()
    page.get_by_role("link", name="contract.pdf").click()
    page.wait_for_url(f"{base}/files/{document.uuid}/request-signature/")
    assert page.get_by_role("heading", name="Handtekening aanvragen").is_visible()
    page.get_by_label("Onderwerp").fill("Contract 2026")
    page.get_by_label("Ondertekenaars bevestigen").uncheck()
    page.get_by_label("Ondertekenaar 1").select_option(str(first.uuid))
    page.get_by_label("Ondertekenaar 2").select_option(str(second.uuid))
    # Daan's box: a click a fifth from the left, a third from the top.
    preview = page.locator(".box-page img").first
    preview.scroll_into_view_if_needed()
    assert preview.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    shown = preview.bounding_box()
    preview.click(position={"x": shown["width"] / 5, "y": shown["height"] / 3})
    assert page.locator(".box-marker").count() == 1
    page.get_by_role("button", name="Verzenden").click()
    request = Request.objects.get(subject="Contract 2026")
    page.wait_for_url(f"{base}{request.get_absolute_url()}")
    daan = Signer.objects.get(user=first)
    assert daan.page == 0
    assert abs(daan.x - A4[0] / 5) < 3
    assert abs(daan.y - A4[1] / 3) < 3
    sign_url = f"{base}/signatures/{request.uuid}/sign/"

    # The pages to start one fit a phone too.
    small = new_page()
    sign_in(small, base, staff.email)
    for url in (
        "/activities/new/signature-request/",
        f"/activities/new/signature-request/?entity={entity.uuid}",
        f"/files/{document.uuid}/request-signature/",
    ):
        small.goto(f"{base}{url}")
        assert fits_the_phone(small), url

    # Sanne waits for Daan.
    phone = new_page()
    sign_in(phone, base, second.email)
    phone.goto(sign_url)
    assert phone.get_by_text("Eerst moet nog worden ondertekend door").is_visible()

    # Daan draws, on a phone.
    drawer = new_page()
    sign_in(drawer, base, first.email)
    drawer.goto(sign_url)
    assert fits_the_phone(drawer)
    # Every page drawn first: a page loading later would move the canvas.
    for image in drawer.locator("img.sign-page").all():
        image.scroll_into_view_if_needed()
        assert image.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    canvas = drawer.locator("[data-signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    drawer.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    drawer.mouse.down()
    for step in range(1, 12):
        drawer.mouse.move(
            box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (-1) ** step * 15
        )
    drawer.mouse.up()
    drawer.get_by_label("Ik ga ermee akkoord").check()
    drawer.get_by_role("button", name="Ondertekenen", exact=True).click()
    drawer.get_by_text("uw handtekening wordt toegevoegd").wait_for(timeout=SLOW)
    assert Signer.objects.get(user=first).image_png

    # Sanne types.
    phone.goto(sign_url)
    phone.get_by_label("Typen", exact=True).check()
    phone.get_by_label("Of typ uw naam").fill("Sanne Tester")
    phone.get_by_label("Ik ga ermee akkoord").check()
    phone.get_by_role("button", name="Ondertekenen", exact=True).click()
    phone.get_by_text("uw handtekening wordt toegevoegd").wait_for(timeout=SLOW)
    phone.get_by_text("Door iedereen ondertekend").wait_for(timeout=SLOW)

    request.refresh_from_db()
    assert request.status == Request.Status.COMPLETED
    report = pdfsig_report(current_pdf(document), tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 3, report
    assert "Signer Certificate Common Name: Kantoor Test BV" in report
    assert "Total document signed" in report


def test_a_signer_zooms_into_the_document_on_a_phone(
    new_page: NewPage, live_server: Any
) -> None:
    base = live_server.url
    actions.generate_signing_certificate("Kantoor Test BV", actor=None)
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    staff = make_user("olga@firm.test", kind=User.Kind.STAFF)
    grant(staff, "reader", entity)
    signer = make_user("daan@client.test", client_entity=entity)
    grant(signer, "contact-entity-staff", entity)
    document = add(entity, staff, "contract.pdf", make_pdf(pages=[(*A4, 0), (*A4, 0)]))
    request = actions.request_signature(
        document, actor=staff, signers=[signer], subject="Contract"
    )

    page = new_page(360, 740)
    sign_in(page, base, signer.email)
    page.goto(f"{base}/signatures/{request.uuid}/sign/")
    pages = page.locator("[data-zoom-pages]")
    first = page.locator("img.sign-page").first
    before = first.evaluate("img => img.getBoundingClientRect().width")
    assert page.locator("[data-zoom-level]").inner_text() == "100%"
    assert page.get_by_role("button", name="Zoom out").is_disabled()

    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()

    assert page.locator("[data-zoom-level]").inner_text() == "200%"
    after = first.evaluate("img => img.getBoundingClientRect().width")
    assert after > 1.9 * before
    # Wider than the card: scrolled sideways, the page itself still fits.
    assert pages.evaluate("el => el.scrollWidth > el.clientWidth")
    assert fits_the_phone(page)
    assert "width=1600" in (first.get_attribute("src") or "")
    page.get_by_role("button", name="Fit to width").click()
    assert first.evaluate("img => img.getBoundingClientRect().width") == before
    # Each page also opens at full size, with or without JavaScript.
    assert page.get_by_role("link", name="Page 1 at full size").is_visible()
    # When the worker has added signatures (htmx's event from the status
    # answer), the pages are fetched again, not from the browser's memory.
    page.evaluate("document.body.dispatchEvent(new CustomEvent('loket:pages-changed'))")
    redrawn = first.get_attribute("src") or ""
    assert re.search(r"[?&]v=\d+$", redrawn), redrawn
    assert first.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
