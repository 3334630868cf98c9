"""The contact list as a CSV file or an Excel workbook."""

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User

# A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: str) -> str:
    """A cell value that a spreadsheet shows as text, never runs as a formula."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def rows(contacts: QuerySet[User]) -> Iterator[list[str]]:
    """The header, then one row per contact, read in chunks."""
    yield [
        _("E-mail address"),
        _("First name"),
        _("Last name"),
        _("Client entity"),
        _("Account state"),
        _("Language"),
    ]
    for contact in contacts.select_related("client_entity").iterator(2000):
        yield [
            contact.email,
            contact.first_name,
            contact.last_name,
            contact.client_entity.name if contact.client_entity else "",
            str(contact.get_state_display()),
            str(contact.get_language_display()),
        ]


def _attachment(response: HttpResponse, extension: str) -> HttpResponse:
    name = f"contacts-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_response(contacts: QuerySet[User]) -> HttpResponse:
    # The byte-order mark makes Excel read the file as UTF-8.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")
    writer = csv.writer(response)
    for row in rows(contacts):
        writer.writerow([neutralise(value) for value in row])
    return _attachment(response, "csv")


def xlsx_response(contacts: QuerySet[User]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Contacts"))
    for row in rows(contacts):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            # Stored as text, so "=..." stays a string and is never a formula.
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _attachment(HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE), "xlsx")
