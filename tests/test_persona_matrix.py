"""Who gets what: every page and API read route, for every persona, in one table.

Columns: anonymous, outsider (a contact of another entity), viewer (Contact –
Entity Access on the entity), contact (Contact – Entity Staff), reader (staff
Reader on the entity), owner (staff Owner), then the firm roles held firm-wide:
admin (Administrator), staffadm (Staff Administrator), entityadm (Entity
Administrator), settingsadm (Settings Administrator).

Pages: an anonymous visitor is sent to sign-in (302). The API answers 401.
"""

from typing import Any

import pytest
from django.test import Client

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files.actions import create_folder
from loket.groups.models import Group
from loket.requests.actions import create_request
from loket.roles.models import Role
from loket.signatures.actions import (
    generate_signing_certificate,
    request_signature,
)
from tests.conftest import ClientFor
from tests.files_support import add
from tests.pdfs import make_pdf

PERSONAS = [
    "anonymous",
    "outsider",
    "viewer_contact",
    "contact",
    "staff_reader",
    "staff_owner",
    "firm_admin",
    "staff_admin",
    "entity_admin",
    "settings_admin",
]

# url                                   anon out view cont read own adm sadm eadm setadm
TABLE = """
/                                       302 200 200 200 200 200 200 200 200 200
/accounts/profile/                      302 200 200 200 200 200 200 200 200 200
/accounts/profile/api-tokens/           302 403 403 403 200 200 200 200 200 200
/contacts/                              302 403 403 403 200 200 200 200 200 200
/contacts/export.csv                    302 403 403 403 200 200 200 200 200 200
/contacts/new/                          302 403 403 403 403 403 200 200 403 403
/contacts/import/                       302 403 403 403 403 403 200 200 403 403
/contacts/{contact}/                    302 404 404 404 200 200 200 200 200 200
/contacts/{contact}/edit/               302 404 404 404 403 403 200 200 403 403
/groups/                                302 403 403 403 200 200 200 200 200 200
/groups/new/contact/                    302 403 403 403 403 403 200 403 200 403
/groups/{group}/                        302 404 404 404 200 200 200 200 200 200
/groups/{group}/edit/                   302 404 404 404 403 403 200 403 200 403
/entities/                              302 200 200 200 200 200 200 200 200 200
/entities/new/                          302 403 403 403 403 403 200 403 200 403
/entities/{entity}/                     302 404 200 200 200 200 200 404 200 404
/entities/{entity}/files/               302 404 200 200 200 200 200 404 403 404
/entities/{entity}/activities/          302 404 200 200 200 200 200 404 403 404
/entities/{entity}/history/             302 404 403 403 200 200 200 404 200 404
/entities/{entity}/history.csv          302 404 403 403 200 200 200 404 200 404
/entities/{entity}/edit/                302 404 403 403 403 200 200 404 200 404
/entities/{entity}/access/              302 404 403 403 403 200 200 404 200 404
/entities/{entity}/share/               302 404 403 403 403 200 200 404 200 404
/files/{file}/                          302 404 200 200 200 200 200 404 404 404
/files/{file}/download/                 302 404 200 200 200 200 200 404 404 404
/files/versions/{version}/download/     302 404 200 200 200 200 200 404 404 404
/files/{file}/move/                     302 404 403 403 403 200 200 404 404 404
/files/folders/{folder}/move/           302 404 403 403 403 200 200 404 404 404
/files/entity/{entity}/trash/           302 404 403 403 403 200 200 404 403 404
/activities/                            302 200 200 200 200 200 200 200 200 200
/activities/new/file-request/           302 200 403 200 200 200 200 403 403 403
/activities/{request}/                  302 404 404 200 200 200 200 404 404 404
/activities/{request}/edit/             302 404 404 403 200 200 200 404 404 404
/settings/                              302 403 403 403 403 403 200 200 403 200
/settings/staff/                        302 403 403 403 403 403 200 200 403 403
/settings/staff/{staff}/                302 404 404 404 403 403 200 200 403 403
/settings/roles/                        302 403 403 403 403 403 200 403 403 403
/settings/roles/assignments/            302 403 403 403 403 403 200 403 403 403
/settings/history/                      302 403 403 403 403 403 200 403 403 403
/settings/email/                        302 403 403 403 403 403 200 403 403 200
/settings/email/log/                    302 403 403 403 403 403 200 403 403 200
/notifications/                         302 200 200 200 200 200 200 200 200 200
/accounts/profile/notifications/        302 200 200 200 200 200 200 200 200 200
/settings/signing-certificate/          302 403 403 403 403 403 200 403 403 200
/signatures/verify/                     302 200 200 200 200 200 200 200 200 200
/activities/new/signature-request/      302 403 403 403 200 200 200 200 200 200
{pick_entity}                           302 404 403 403 200 200 200 404 403 404
/files/{pdf}/request-signature/         302 404 403 403 200 200 200 404 404 404
/files/{pdf}/request-signature/pages/0.png 302 404 403 403 200 200 200 404 404 404
/signatures/{signing}/sign/             302 404 404 200 200 200 200 404 404 404
/signatures/{signing}/pages/0.png       302 404 404 200 200 200 200 404 404 404
/signatures/{signing}/status/           302 404 404 200 200 200 200 404 404 404
/api/v1/me                              401 200 200 200 200 200 200 200 200 200
/api/v1/entities                        401 200 200 200 200 200 200 200 200 200
/api/v1/entities/{entity}               401 404 200 200 200 200 200 404 200 404
/api/v1/entities/{entity}/access        401 404 403 403 403 200 200 404 200 404
/api/v1/entities/{entity}/files         401 404 200 200 200 200 200 404 404 404
/api/v1/entities/{entity}/folders       401 404 200 200 200 200 200 404 404 404
/api/v1/entities/{entity}/trash         401 404 403 403 403 200 200 404 404 404
/api/v1/files/{file}                    401 404 200 200 200 200 200 404 404 404
/api/v1/files/{file}/versions           401 404 200 200 200 200 200 404 404 404
/api/v1/files/{file}/download           401 404 200 200 200 200 200 404 404 404
/api/v1/folders/{folder}                401 404 200 200 200 200 200 404 404 404
/api/v1/requests                        401 200 200 200 200 200 200 200 200 200
/api/v1/requests/{request}              401 404 404 200 200 200 200 404 404 404
/api/v1/requests/{request}/comments     401 404 404 200 200 200 200 404 404 404
/api/v1/requests/{signing}/signing      401 404 404 200 200 200 200 404 404 404
/api/v1/requests/{signing}/signing/document 401 404 404 200 200 200 200 404 404 404
/api/v1/signing-certificate             401 403 403 403 403 403 200 403 403 200
/api/v1/contacts                        401 403 403 403 200 200 200 200 200 200
/api/v1/contacts/{contact}              401 404 404 404 200 200 200 200 200 200
/api/v1/groups                          401 403 403 403 200 200 200 200 200 200
/api/v1/groups/{group}                  401 404 404 404 200 200 200 200 200 200
/api/v1/staff                           401 403 403 403 200 200 200 200 200 200
/api/v1/roles                           401 403 403 403 200 200 200 200 200 200
/api/v1/roles/{role}                    401 404 404 404 200 200 200 200 200 200
"""

ROWS = [
    (line.split()[0], dict(zip(PERSONAS, map(int, line.split()[1:]), strict=True)))
    for line in TABLE.strip().splitlines()
]
CASES = [
    (url, persona, statuses[persona]) for url, statuses in ROWS for persona in PERSONAS
]


@pytest.fixture
def place(
    entity: Entity, contact: User, contact_group: Group, staff_owner: User
) -> dict[str, Any]:
    file = add(entity, staff_owner)
    generate_signing_certificate("Kantoor Test BV", actor=None)
    pdf = add(entity, staff_owner, "contract.pdf", make_pdf())
    signing = request_signature(
        pdf, actor=staff_owner, signers=[contact], subject="Contract"
    )
    return {
        "pdf": pdf.uuid,
        "pick_entity": f"/activities/new/signature-request/?entity={entity.uuid}",
        "signing": signing.uuid,
        "entity": entity.uuid,
        "contact": contact.uuid,
        "group": contact_group.uuid,
        "staff": staff_owner.uuid,
        "role": Role.objects.get(key="reader").uuid,
        "file": file.uuid,
        "version": file.versions.get().uuid,
        "folder": create_folder(entity, actor=staff_owner, name="2025").uuid,
        "request": create_request(
            entity, actor=staff_owner, subject="Jaarstukken", recipients=[contact]
        ).uuid,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "persona", "expected"), CASES)
def test_every_persona_gets_the_expected_status(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    place: dict[str, Any],
    url: str,
    persona: str,
    expected: int,
) -> None:
    # Everyone exists in every case, so each persona is seen among the others.
    users = {name: request.getfixturevalue(name) for name in PERSONAS[1:]}
    client = Client() if persona == "anonymous" else client_for(users[persona])
    response = client.get(url.format(**place))
    assert response.status_code == expected, (url, persona)
    if expected == 302:
        assert response["Location"].startswith("/accounts/sign-in/?next=")
