"""The Files tab in real Chromium, in Dutch: an Owner uploads two files (one
through the file chooser, one dropped on the upload area), watches them
arrive, then uploads a new version of one and sees version 2.

Selectors go by structure rather than by text where the Dutch wording is the
translators' to choose."""

import re
from typing import Any

import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import File, FileVersion, Upload
from tests.conftest import grant, make_user
from tests.files_support import pdf
from tests.test_browser_seed_flows import (
    CHROMIUM,
    NewPage,
    fits_the_phone,
    new_page,
    sign_in,
)

__all__ = ["new_page"]  # the fixture, shared with the seed flows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
if not CHROMIUM:
    pytestmark.append(pytest.mark.skip(reason="no Chromium found"))

DROP_SCRIPT = """
([selector, name, text]) => {
  const target = document.querySelector(selector);
  const data = new DataTransfer();
  data.items.add(new File([text], name, {type: "application/pdf"}));
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = {dataTransfer: data, bubbles: true, cancelable: true};
    target.dispatchEvent(new DragEvent(type, init));
  }
}
"""


def _pdf_file(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf(text)}


def _wait_until_done(page: Any, item: Any) -> None:
    """Each file has its progress bar, which fills; then it is added."""
    item.locator("progress").wait_for()
    page.wait_for_function(
        "(node) => node.classList.contains('is-done')", arg=item.element_handle()
    )
    assert item.locator("progress").get_attribute("value") == "100"


def test_an_owner_uploads_files_and_a_new_version_in_dutch(
    new_page: NewPage, live_server: Any
) -> None:
    owner = make_user("olga@firm.test", kind=User.Kind.STAFF, language="nl")
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    grant(owner, "owner", entity)
    base = live_server.url
    page = new_page()
    sign_in(page, base, owner.email)

    # The Files tab, in Dutch.
    page.goto(f"{base}/entities/{entity.uuid}/")
    tab = page.locator(f'nav.tabs a[href="/entities/{entity.uuid}/files/"]')
    assert tab.inner_text() == "Bestanden"
    tab.click()
    page.wait_for_url(re.compile(rf"/entities/{entity.uuid}/files/$"))
    assert page.locator("html").get_attribute("lang") == "nl"
    assert fits_the_phone(page)

    # One file through the file chooser, then one dropped on the upload area
    # (one after the other: the test database, SQLite in memory, locks a
    # table that two threads write at once).
    uploader = page.locator(".files-add .uploader")
    items = uploader.locator(".uploader-item")
    uploader.locator("input.uploader-input").set_input_files(
        [_pdf_file("Jaarrekening 2025.pdf", "jaarrekening")]
    )
    _wait_until_done(page, items.nth(0))
    page.evaluate(
        DROP_SCRIPT,
        [".files-add .uploader", "Loonstrook maart – Zoë.pdf", "loonstrook"],
    )
    _wait_until_done(page, items.nth(1))
    assert items.count() == 2
    listed = page.locator("#file-list .file-row .file-name a")
    listed.nth(1).wait_for()
    assert sorted(listed.all_inner_texts()) == [
        "Jaarrekening 2025.pdf",
        "Loonstrook maart – Zoë.pdf",
    ]
    assert fits_the_phone(page)
    assert File.objects.filter(entity=entity).count() == 2
    assert not Upload.objects.exists()
    assert Event.objects.filter(verb=Event.Verb.FILE_UPLOADED).count() == 2

    # A new version of the annual accounts, on the file's page.
    page.locator(".file-name a", has_text="Jaarrekening 2025.pdf").click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}/$"))
    assert page.locator("#versions tbody tr").count() == 1
    with page.expect_navigation():
        page.locator(".uploader input.uploader-input").set_input_files(
            [_pdf_file("Jaarrekening 2025 definitief.pdf", "definitief")]
        )
    rows = page.locator("#versions tbody tr")
    assert rows.count() == 2
    assert re.search(r"\b2\b", rows.first.locator(".version-number").inner_text())
    assert rows.first.get_attribute("class") == "current"
    assert fits_the_phone(page)

    file = File.objects.get(name="Jaarrekening 2025.pdf")
    version = FileVersion.objects.get(file=file, number=2)
    assert version.original_name == "Jaarrekening 2025 definitief.pdf"
    assert file.versions.count() == 2
    assert Event.objects.filter(verb=Event.Verb.FILE_VERSION_ADDED).count() == 1
