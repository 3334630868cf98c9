import pytest
from django.test import Client

from loket.accounts.models import User
from tests.conftest import ClientFor

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_in_json(client: Client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_me_answers_for_the_signed_in_user(
    client_for: ClientFor, contact: User
) -> None:
    response = client_for(contact).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == contact.email
    assert body["uuid"] == str(contact.uuid)
    assert body["kind"] == "contact"


def test_the_openapi_schema_is_generated(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Loket API"
    assert "/api/v1/me" in schema["paths"]
