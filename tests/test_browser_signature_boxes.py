"""Creating a signature request in a real browser: staff upload a PDF on the
pick page and land on its request form, then click a signer's box onto the
preview, drag it, resize it from its corner and nudge it with the keyboard;
the Signer row holds that rectangle and, once the contact has signed, the
stamp is in it (drawn by poppler). A box stays on its page and is never
smaller than allowed, with the mouse or a finger."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files.models import File
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
from tests.test_signature_requests import current_pdf
from tests.test_signatures_pdf import ink, rendered_by_poppler

__all__ = ["new_page"]  # the fixture, shared with the seed flows

# Signing and sealing run in the request cycle here; a busy machine is slow.
SLOW = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM, reason="no Chromium found"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no poppler-utils"),
]


def box_fields(page: Any, slot: int = 1) -> dict[str, float]:
    """The signer's hidden box fields, as the form will post them."""
    values: dict[str, str] = page.evaluate(
        """slot => {
            const field = document.querySelector(`[data-signer-slot="${slot}"]`);
            const out = {};
            for (const name of ["page", "x", "y", "width", "height"]) {
                out[name] = field.querySelector(`input[name="box_${name}"]`).value;
            }
            return out;
        }""",
        slot,
    )
    return {name: float(value) for name, value in values.items()}


def centre(box: dict[str, float]) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Any, start: tuple[float, float], dx: float, dy: float) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + dx, start[1] + dy, steps=8)
    page.mouse.up()


def close(a: float, b: float, within: float) -> bool:
    return abs(a - b) <= within


def test_staff_upload_a_pdf_then_move_and_resize_the_box_and_it_is_signed_there(
    new_page: NewPage, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    actions.generate_signing_certificate("Kantoor Test BV", actor=None)
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    staff = make_user("olga@firm.test", kind=User.Kind.STAFF)
    grant(staff, "reader", entity)
    daan = make_user("daan@client.test", first_name="Daan", client_entity=entity)
    grant(daan, "contact-entity-staff", entity)
    original = make_pdf(text="")
    (tmp_path / "offerte.pdf").write_bytes(original)

    # The pick page: upload the PDF, straight on to its request form.
    page = new_page(1200, 900)
    sign_in(page, base, staff.email)
    page.goto(f"{base}/activities/new/signature-request/?entity={entity.uuid}")
    page.locator(".uploader input.uploader-input").set_input_files(
        str(tmp_path / "offerte.pdf")
    )
    page.wait_for_url(f"{base}/files/*/request-signature/", timeout=SLOW)
    document = File.objects.get(entity=entity, name="offerte.pdf")
    assert page.url == f"{base}/files/{document.uuid}/request-signature/"
    assert page.get_by_text("“offerte.pdf” has been uploaded.").is_visible()
    assert current_pdf(document) == original

    page.get_by_label("Subject").fill("Offerte 2026")
    page.get_by_label("Signers confirm it is them").uncheck()
    page.get_by_label("Signer 1").select_option(str(daan.uuid))
    preview = page.locator(".box-page img").first
    preview.scroll_into_view_if_needed()
    assert preview.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    shown = preview.bounding_box()
    scale = A4[0] / shown["width"]  # points per CSS pixel

    # A click places the box: its top-left corner where the click was.
    preview.click(position={"x": shown["width"] / 5, "y": shown["height"] / 3})
    marker = page.locator(".box-marker")
    assert marker.count() == 1
    placed = box_fields(page)
    assert placed["page"] == 0
    assert close(placed["x"], A4[0] / 5, 3)
    assert close(placed["y"], A4[1] / 3, 3)
    assert (placed["width"], placed["height"]) == (200, 70)

    # Dragged 120 px right and 150 px down: the same size, moved.
    drag(page, centre(marker.bounding_box()), 120, 150)
    moved = box_fields(page)
    assert close(moved["x"], placed["x"] + 120 * scale, 2)
    assert close(moved["y"], placed["y"] + 150 * scale, 2)
    assert (moved["width"], moved["height"]) == (200, 70)

    # Resized from the corner: 100 px wider, 60 px higher; the corner stays.
    handle = marker.locator("[data-box-handle]")
    drag(page, centre(handle.bounding_box()), 100, 60)
    resized = box_fields(page)
    assert (resized["x"], resized["y"]) == (moved["x"], moved["y"])
    assert close(resized["width"], 200 + 100 * scale, 2)
    assert close(resized["height"], 70 + 60 * scale, 2)

    # The keyboard: two steps right, one down, Shift makes it a step wider.
    marker.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowRight")
    keyed = box_fields(page)
    assert close(keyed["x"], resized["x"] + 10, 0.011)
    assert close(keyed["y"], resized["y"] + 5, 0.011)
    assert close(keyed["width"], resized["width"] + 5, 0.011)
    assert close(keyed["height"], resized["height"], 0.011)

    page.get_by_role("button", name="Send").click()
    request = Request.objects.get(subject="Offerte 2026")
    page.wait_for_url(f"{base}{request.get_absolute_url()}")
    row = Signer.objects.get(user=daan)
    assert row.page == 0
    for name in ("x", "y", "width", "height"):
        assert close(getattr(row, name), keyed[name], 0.001), name

    # Daan types his name; the stamp is drawn in that rectangle.
    signer = new_page()
    sign_in(signer, base, daan.email)
    signer.goto(f"{base}/signatures/{request.uuid}/sign/")
    signer.get_by_label("Type", exact=True).check()
    signer.get_by_label("Or type your name").fill("Daan de Vries")
    signer.get_by_label("I agree to sign").check()
    signer.get_by_role("button", name="Sign", exact=True).click()
    signer.get_by_text("Signed by everyone").wait_for(timeout=SLOW)
    request.refresh_from_db()
    assert request.status == Request.Status.COMPLETED
    image = rendered_by_poppler(current_pdf(document), 0, tmp_path)
    rectangle = (row.x, row.y, row.width, row.height)
    inside = ink(image, rectangle)
    assert inside > 500, "the stamp is in the box staff made"
    assert ink(image, (0, 0, image.width, image.height)) - inside < 20
    # It fills the box: ink in its right half too, not a default-sized corner.
    right = (row.x + row.width / 2, row.y, row.width / 2, row.height)
    assert ink(image, right) > 100


def test_a_box_stays_on_its_page_and_above_the_smallest_size(
    new_page: NewPage, live_server: Any
) -> None:
    base = live_server.url
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    staff = make_user("olga@firm.test", kind=User.Kind.STAFF)
    grant(staff, "reader", entity)
    document = add(entity, staff, "twee.pdf", make_pdf([(*A4, 0), (*A4, 90)]))

    page = new_page(1000, 800)
    sign_in(page, base, staff.email)
    page.goto(f"{base}/files/{document.uuid}/request-signature/")
    first, second = page.locator(".box-page img").all()
    for preview in (first, second):
        preview.scroll_into_view_if_needed()
        assert preview.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    first.scroll_into_view_if_needed()
    shown = first.bounding_box()
    first.click(position={"x": shown["width"] / 2, "y": shown["height"] / 2})
    marker = page.locator(".box-marker")

    # Dragged far past the bottom-right corner: it stops at the page's edge.
    drag(page, centre(marker.bounding_box()), 2000, 2000)
    edge = box_fields(page)
    assert close(edge["x"] + edge["width"], A4[0], 0.011)
    assert close(edge["y"] + edge["height"], A4[1], 0.011)

    # Shrunk far past nothing: the smallest box allowed, 100 by 30 points.
    drag(page, centre(marker.locator("[data-box-handle]").bounding_box()), -900, -900)
    smallest = box_fields(page)
    assert (smallest["width"], smallest["height"]) == (100, 30)
    assert (smallest["x"], smallest["y"]) == (edge["x"], edge["y"])

    # Grown far past the page: up to its edge, no further.
    drag(page, centre(marker.locator("[data-box-handle]").bounding_box()), 900, 900)
    grown = box_fields(page)
    assert close(grown["x"] + grown["width"], A4[0], 0.011)
    assert close(grown["y"] + grown["height"], A4[1], 0.011)

    # With a finger (real touch events): dragged up and to the left.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True})
    marker.locator("[data-box-handle]").scroll_into_view_if_needed()
    x, y = centre(marker.bounding_box())
    before = box_fields(page)
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]},
    )
    for step in range(1, 6):
        point = {"x": x - 20 * step, "y": y - 20 * step}
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    touched = box_fields(page)
    scale = A4[0] / first.bounding_box()["width"]
    assert close(touched["x"], before["x"] - 100 * scale, 2)
    assert close(touched["y"], before["y"] - 100 * scale, 2)
    assert (touched["width"], touched["height"]) == (before["width"], before["height"])

    # A click on the rotated page moves the box there, keeping its size
    # within that page (842 by 595 points as displayed).
    second.scroll_into_view_if_needed()
    turned = second.bounding_box()
    second.click(position={"x": 10, "y": 10})
    there = box_fields(page)
    assert there["page"] == 1
    assert there["x"] + there["width"] <= 842.01
    assert there["y"] + there["height"] <= 595.01
    assert page.locator('.box-page[data-page="1"] .box-marker').count() == 1
    assert turned["width"] > turned["height"]

    # The pick page with its upload form fits a phone.
    phone = new_page()
    sign_in(phone, base, staff.email)
    phone.goto(f"{base}/activities/new/signature-request/?entity={entity.uuid}")
    assert phone.locator(".uploader").is_visible()
    assert fits_the_phone(phone)
