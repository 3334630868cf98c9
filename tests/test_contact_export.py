import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from loket.accounts.models import User
from loket.entities.models import Entity
from tests.conftest import ClientFor, make_user

pytestmark = pytest.mark.django_db

HEADER = [
    "E-mail address",
    "First name",
    "Last name",
    "Client entity",
    "Account state",
    "Language",
]


def csv_rows(client: Client, query: str = "") -> list[list[str]]:
    response = client.get(f"/contacts/export.csv{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(client: Client, query: str = "") -> list[list[object]]:
    response = client.get(f"/contacts/export.xlsx{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_csv_export_holds_every_matching_contact_not_just_one_page(
    client_for: ClientFor, staff_admin: User, entity: Entity, contact: User
) -> None:
    for number in range(60):
        make_user(f"p{number:02}@client.test", client_entity=entity)
    rows = csv_rows(client_for(staff_admin))
    assert rows[0] == HEADER
    assert len(rows) == 1 + 61
    assert ["daan@client.test", "Daan", "Tester", "Bakkerij de Vries BV", "Active",
            "English"] in rows  # fmt: skip


def test_the_csv_export_follows_the_search_and_filters(
    client_for: ClientFor,
    staff_admin: User,
    contact: User,
    new_contact: User,
    outsider: User,
    other_entity: Entity,
    entity: Entity,
) -> None:
    client = client_for(staff_admin)
    by_state = csv_rows(client, "?state=not_activated")
    assert [row[0] for row in by_state[1:]] == ["femke@client.test"]
    by_entity = csv_rows(client, f"?entity={other_entity.uuid}&page=1")
    assert [row[0] for row in by_entity[1:]] == ["eva@other-client.test"]
    by_search = csv_rows(client, f"?q=DAAN&entity={entity.uuid}")
    assert [row[0] for row in by_search[1:]] == ["daan@client.test"]


def test_the_xlsx_export_follows_the_filters(
    client_for: ClientFor,
    staff_admin: User,
    contact: User,
    new_contact: User,
    outsider: User,
) -> None:
    rows = xlsx_rows(client_for(staff_admin), "?state=active")
    assert rows[0] == HEADER
    assert sorted(row[0] for row in rows[1:]) == [  # type: ignore[type-var]
        "daan@client.test",
        "eva@other-client.test",
    ]


def test_the_dutch_export_speaks_dutch(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    staff_admin.language = "nl"
    staff_admin.save()
    rows = csv_rows(client_for(staff_admin))
    assert rows[0][0] == "E-mailadres"


@pytest.fixture
def formula_contact(entity: Entity) -> User:
    entity.name = "@SUM(1+1)"
    entity.save()
    return User.objects.create_user(
        "formula@client.test",
        None,
        first_name='=HYPERLINK("http://evil.test","click")',
        last_name="+31 6 1234",
        kind=User.Kind.CONTACT,
        client_entity=entity,
    )


def test_the_csv_export_neutralises_formulas(
    client_for: ClientFor, staff_admin: User, formula_contact: User
) -> None:
    rows = csv_rows(client_for(staff_admin), "?q=formula")
    assert rows[1][:4] == [
        "formula@client.test",
        '\'=HYPERLINK("http://evil.test","click")',
        "'+31 6 1234",
        "'@SUM(1+1)",
    ]


def test_the_xlsx_export_stores_formulas_as_plain_text(
    client_for: ClientFor, staff_admin: User, formula_contact: User
) -> None:
    response = client_for(staff_admin).get("/contacts/export.xlsx?q=formula")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = sheet[2]
    assert [cell.data_type for cell in cells] == ["s"] * 6
    assert cells[1].value == '=HYPERLINK("http://evil.test","click")'
    assert cells[3].value == "@SUM(1+1)"


def test_staff_without_a_role_may_export(
    client_for: ClientFor, staff_member: User, contact: User
) -> None:
    rows = csv_rows(client_for(staff_member))
    assert [row[0] for row in rows[1:]] == ["daan@client.test"]


@pytest.mark.parametrize("persona", ["contact", "outsider", "viewer_contact"])
@pytest.mark.parametrize("path", ["/contacts/export.csv", "/contacts/export.xlsx"])
def test_contacts_cannot_export(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str, path: str
) -> None:
    response = client_for(request.getfixturevalue(persona)).get(path)
    assert response.status_code == 403
    assert b"@client.test" not in response.content


@pytest.mark.parametrize("path", ["/contacts/export.csv", "/contacts/export.xlsx"])
def test_anonymous_cannot_export(client: Client, contact: User, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
