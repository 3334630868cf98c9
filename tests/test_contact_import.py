import io
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from loket.accounts.models import User
from loket.audit.models import Event
from loket.contacts.actions import NewContact, import_contacts
from loket.entities.models import Entity
from loket.groups.models import Group
from tests.conftest import ClientFor

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "E-mailadres;Voornaam;Achternaam;Entiteit;Groepen\r\n"
    "jan@client.test;Jan;Jansen;C-1001;Directie De Vries~Nieuwsbrief\r\n"
    "Marie@Client.test;Marie;de Vries;bakkerij de vries bv;\r\n"
    "piet@client.test;Piet;Pietersen;Garage Jansen VOF;nieuwsbrief\r\n"
)


@pytest.fixture
def newsletter(db: None) -> Group:
    return Group.objects.create(kind=Group.Kind.CONTACT, name="Nieuwsbrief")


@pytest.fixture
def manager(
    client_for: ClientFor,
    staff_admin: User,
    entity: Entity,
    other_entity: Entity,
    contact_group: Group,
    newsletter: Group,
) -> Client:
    return client_for(staff_admin)


def csv_file(
    text: str, name: str = "contacts.csv", bom: bool = True
) -> SimpleUploadedFile:
    data = ("\ufeff" if bom else "") + text
    return SimpleUploadedFile(name, data.encode(), content_type="text/csv")


def xlsx_file(
    rows: list[list[object]], name: str = "contacts.xlsx"
) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client: Client, file: SimpleUploadedFile) -> "Response":
    return client.post("/contacts/import/", {"file": file})


def confirm(client: Client, **extra: str) -> "Response":
    preview = client.get("/contacts/import/preview/")
    data = {
        "token": preview.context["pending"]["token"],
        "expected": str(preview.context["good"]),
        **extra,
    }
    return client.post("/contacts/import/preview/", data)


def contacts() -> set[str]:
    return set(
        User.objects.filter(kind=User.Kind.CONTACT).values_list("email", flat=True)
    )


def test_a_good_csv_imports_every_row_with_its_groups(
    manager: Client,
    staff_admin: User,
    entity: Entity,
    other_entity: Entity,
    contact_group: Group,
    newsletter: Group,
) -> None:
    response = upload(manager, csv_file(GOOD_CSV))
    assert response.status_code == 302
    assert response["Location"] == "/contacts/import/preview/"
    preview = manager.get("/contacts/import/preview/")
    assert preview.context["good"] == 3
    assert "Import the 3 good rows" in preview.text
    assert contacts() == set()
    done = confirm(manager)
    assert done.status_code == 302
    assert contacts() == {"jan@client.test", "marie@client.test", "piet@client.test"}
    jan = User.objects.get(email="jan@client.test")
    assert (jan.first_name, jan.last_name, jan.client_entity) == (
        "Jan",
        "Jansen",
        entity,
    )
    assert jan.state == User.State.NOT_ACTIVATED
    assert set(jan.member_groups.all()) == {contact_group, newsletter}
    marie = User.objects.get(email="marie@client.test")
    assert marie.client_entity == entity
    assert not marie.member_groups.exists()
    piet = User.objects.get(email="piet@client.test")
    assert piet.client_entity == other_entity
    assert list(piet.member_groups.all()) == [newsletter]
    imported = Event.objects.get(verb=Event.Verb.CONTACTS_IMPORTED)
    assert imported.actor == staff_admin
    assert imported.data == {"count": 3, "file_name": "contacts.csv"}
    created = Event.objects.filter(verb=Event.Verb.CONTACT_CREATED)
    assert created.count() == 3
    assert all(e.actor == staff_admin and e.data["import"] is True for e in created)
    assert Event.objects.filter(verb=Event.Verb.GROUP_MEMBER_ADDED).count() == 3
    assert "3 contacts have been imported." in manager.get("/contacts/").text
    # The pending import is gone from the session.
    assert manager.get("/contacts/import/preview/").status_code == 302


def test_a_comma_separated_file_without_bom_and_with_english_headers(
    manager: Client, entity: Entity
) -> None:
    text = "Email,First Name,Last Name,Entity\nann@client.test,Ann,Smit,C-1001\n"
    upload(manager, csv_file(text, bom=False))
    assert confirm(manager).status_code == 302
    assert contacts() == {"ann@client.test"}


def test_a_file_with_bad_rows_shows_each_problem_and_imports_nothing_yet(
    manager: Client, contact: User, entity: Entity
) -> None:
    Entity.objects.create(name="Gesloten BV", archived_at=timezone.now())
    text = (
        "e-mail;first name;last name;entity;groups\n"
        "good@client.test;Goed;Genoeg;C-1001;\n"
        "not-an-address;Slecht;Adres;C-1001;\n"
        "nofirst@client.test;;Achter;C-1001;\n"
        "nolast@client.test;Voor;;C-1001;\n"
        "noentity@client.test;Geen;Entiteit;Onbekend BV;\n"
        "nogroup@client.test;Geen;Groep;C-1001;Bestaat Niet\n"
        "DAAN@client.test;Daan;Dubbel;C-1001;\n"
        "twice@client.test;Een;Keer;C-1001;\n"
        "twice@client.test;Twee;Keer;C-1001;\n"
        "archived@client.test;Oud;Klant;Gesloten BV;\n"
        "alsogood@client.test;Ook;Goed;Bakkerij de Vries BV;\n"
    )
    upload(manager, csv_file(text))
    preview = manager.get("/contacts/import/preview/")
    problems = {row.raw.line: row.problems for row in preview.context["rows"]}
    assert problems[2] == []
    assert problems[3] == ["“not-an-address” is not a valid e-mail address."]
    assert problems[4] == ["The first name is missing."]
    assert problems[5] == ["The last name is missing."]
    assert problems[6] == ["There is no entity “Onbekend BV”."]
    assert problems[7] == ["There is no contact group “Bestaat Niet”."]
    assert problems[8] == [
        "A user with this e-mail address already exists in the portal."
    ]
    assert (
        problems[9]
        == problems[10]
        == ["This e-mail address appears more than once in the file (rows 9, 10)."]
    )
    assert problems[11] == ["The entity “Gesloten BV” is archived."]
    assert problems[12] == []
    for messages in problems.values():
        for message in messages:
            assert (
                message.replace("“", "&ldquo;") in preview.text
                or message in preview.text
            )
    assert "2 good rows" in preview.text
    assert "9 rows with problems" in preview.text
    # Without ticking the box nothing happens.
    refused = confirm(manager)
    assert refused.status_code == 400
    assert "Tick the box to skip them" in refused.text
    assert contacts() == {"daan@client.test"}
    assert not Event.objects.filter(verb=Event.Verb.CONTACTS_IMPORTED).exists()
    # With the box ticked, exactly the good rows.
    done = confirm(manager, skip_problems="on")
    assert done.status_code == 302
    assert contacts() == {
        "daan@client.test",
        "good@client.test",
        "alsogood@client.test",
    }
    assert Event.objects.get(verb=Event.Verb.CONTACTS_IMPORTED).data["count"] == 2
    assert Event.objects.filter(verb=Event.Verb.CONTACT_CREATED).count() == 2


def test_a_file_with_only_bad_rows_cannot_be_imported(manager: Client) -> None:
    upload(manager, csv_file("email;first name;last name;entity\nx;;;\n"))
    preview = manager.get("/contacts/import/preview/")
    assert preview.context["good"] == 0
    assert "Import the" not in preview.text
    refused = confirm(manager, skip_problems="on")
    assert refused.status_code == 400
    assert "No row can be imported." in refused.text
    assert contacts() == set()


def test_confirming_checks_the_rows_again_against_the_portal(
    manager: Client, staff_admin: User, entity: Entity
) -> None:
    upload(manager, csv_file(GOOD_CSV))
    preview = manager.get("/contacts/import/preview/")
    token = preview.context["pending"]["token"]
    # Someone adds one of the contacts between the preview and the confirmation.
    User.objects.create_user("piet@client.test", None, kind=User.Kind.CONTACT)
    response = manager.post(
        "/contacts/import/preview/",
        {"token": token, "expected": "3", "skip_problems": "on"},
    )
    assert response.status_code == 400
    assert "The portal has changed since you saw this preview." in response.text
    assert contacts() == {"piet@client.test"}
    assert confirm(manager, skip_problems="on").status_code == 302
    assert contacts() == {"piet@client.test", "jan@client.test", "marie@client.test"}


def test_a_stale_preview_token_is_refused(manager: Client) -> None:
    upload(manager, csv_file(GOOD_CSV))
    response = manager.post(
        "/contacts/import/preview/", {"token": "old", "expected": "3"}
    )
    assert response.status_code == 400
    assert contacts() == set()


def test_cancelling_imports_nothing(manager: Client) -> None:
    upload(manager, csv_file(GOOD_CSV))
    response = manager.post("/contacts/import/cancel/")
    assert response.status_code == 302
    assert contacts() == set()
    assert manager.get("/contacts/import/preview/").status_code == 302
    assert not Event.objects.filter(verb=Event.Verb.CONTACTS_IMPORTED).exists()


def test_a_good_xlsx_file_imports_every_row(
    manager: Client, entity: Entity, other_entity: Entity, newsletter: Group
) -> None:
    entity.client_number = "1001"
    entity.save()
    rows: list[list[object]] = [
        ["Email", "First name", "Last name", "Entity", "Groups"],
        ["kim@client.test", "Kim", "Klaassen", 1001, "Nieuwsbrief"],
        [None, None, None, None, None],
        ["lot@client.test", "Lot", "Lammers", "Garage Jansen VOF", None],
    ]
    response = upload(manager, xlsx_file(rows))
    assert response.status_code == 302
    preview = manager.get("/contacts/import/preview/")
    assert [row.problems for row in preview.context["rows"]] == [[], []]
    assert confirm(manager).status_code == 302
    kim = User.objects.get(email="kim@client.test")
    assert kim.client_entity == entity
    assert list(kim.member_groups.all()) == [newsletter]
    assert User.objects.get(email="lot@client.test").client_entity == other_entity
    event = Event.objects.get(verb=Event.Verb.CONTACTS_IMPORTED)
    assert event.data == {"count": 2, "file_name": "contacts.xlsx"}


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.png", PNG, "is not a CSV file or an Excel workbook"),
        ("contacts.csv", PNG, "is not a CSV file or an Excel workbook"),
        ("scan.pdf", PDF, "is not a CSV file or an Excel workbook"),
        ("contacts.csv", PDF, "is not a CSV file or an Excel workbook"),
        ("contacts.csv", bytes(range(256)) * 8, "is not a CSV file or an Excel"),
        ("contacts.csv", "é;ë\n".encode("latin-1"), "The file is not in UTF-8."),
        ("contacts.xlsx", b"email;first name\nx;y\n", "is not an Excel workbook"),
        ("contacts.xlsx", b"PK\x03\x04garbage-not-a-zip", "is not a CSV file or an"),
        ("contacts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, ".xls"),
        ("contacts.csv", b"", "file is empty."),
        ("contacts.csv", b"\n\n", "The file is empty."),
        ("contacts.csv", b"email;first name;last name;entity\n", "no rows below"),
        (
            "contacts.csv",
            b"mail;voornaam;familienaam;entity\nx;y;z;w\n",
            "The file lacks these columns: e-mail, last name.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message(
    manager: Client, name: str, content: bytes, message: str
) -> None:
    response = upload(manager, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.text
    assert "Server Error" not in response.text
    assert contacts() == set()
    assert manager.get("/contacts/import/preview/").status_code == 302


def test_a_zip_that_is_not_a_workbook_is_refused(manager: Client) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = upload(manager, SimpleUploadedFile("contacts.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert "is not a CSV file or an Excel workbook" in response.text


def test_a_file_over_5_mb_is_refused_before_reading(manager: Client) -> None:
    line = "someone@client.test;Some;One;C-1001\n"
    big = "email;first name;last name;entity\n" + line * (
        5 * 1024 * 1024 // len(line) + 10
    )
    response = upload(manager, csv_file(big))
    assert response.status_code == 400
    assert "The file is larger than 5 MB." in response.text
    assert contacts() == set()


def test_a_file_over_5000_rows_is_refused(manager: Client) -> None:
    rows = "".join(f"p{n}@client.test;P;{n};C-1001\n" for n in range(5001))
    response = upload(manager, csv_file("email;first name;last name;entity\n" + rows))
    assert response.status_code == 400
    assert "The file has more than 5,000 rows." in response.text
    assert contacts() == set()


def test_no_file_at_all_is_refused(manager: Client) -> None:
    response = manager.post("/contacts/import/", {})
    assert response.status_code == 400
    assert "field-error" in response.text


def test_the_import_action_is_all_or_nothing(
    staff_admin: User, entity: Entity, contact: User
) -> None:
    from django.core.exceptions import ValidationError

    rows = [
        NewContact("first@client.test", "First", "One", entity),
        NewContact(contact.email, "Clash", "Two", entity),
    ]
    with pytest.raises(ValidationError, match=r"daan@client\.test"):
        import_contacts(rows, actor=staff_admin, file_name="x.csv")
    assert not User.objects.filter(email="first@client.test").exists()
    assert not Event.objects.filter(verb=Event.Verb.CONTACTS_IMPORTED).exists()


def test_the_import_action_refuses_an_empty_list(staff_admin: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        import_contacts([], actor=staff_admin)


# Who may import


@pytest.mark.parametrize("persona", ["staff_member", "entity_admin", "staff_reader"])
def test_staff_without_contacts_manage_cannot_import(
    request: pytest.FixtureRequest, client_for: ClientFor, entity: Entity, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/contacts/import/").status_code == 403
    assert upload(client, csv_file(GOOD_CSV)).status_code == 403
    assert client.get("/contacts/import/preview/").status_code == 403
    assert client.post("/contacts/import/preview/", {}).status_code == 403
    assert client.post("/contacts/import/cancel/").status_code == 403
    assert contacts() == set()


@pytest.mark.parametrize("persona", ["contact", "outsider"])
def test_contacts_cannot_import(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    before = contacts()
    assert client.get("/contacts/import/").status_code == 403
    assert upload(client, csv_file(GOOD_CSV)).status_code == 403
    assert client.post("/contacts/import/preview/", {}).status_code == 403
    assert contacts() == before


def test_anonymous_cannot_import(client: Client) -> None:
    response = upload(client, csv_file(GOOD_CSV))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert contacts() == set()


def test_a_pending_import_is_checked_against_the_confirming_user(
    manager: Client, client_for: ClientFor, staff_admin: User
) -> None:
    upload(manager, csv_file(GOOD_CSV))
    # Another manager's session has no pending import.
    other = client_for(staff_admin)
    assert other.get("/contacts/import/preview/").status_code == 302
