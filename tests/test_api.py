import uuid

import pytest
from django.db import IntegrityError
from django.test import Client

from loket.accounts.models import User
from loket.entities import actions as entity_actions
from loket.entities.models import Entity
from tests.conftest import ClientFor
from tests.test_api_support import token_client

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


# Errors are JSON, with the status that fits.


def test_a_token_caller_gets_me(staff_member: User) -> None:
    response = token_client(staff_member).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["uuid"] == str(staff_member.uuid)


def test_the_schema_declares_the_bearer_scheme(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"].values()
    assert {"type": "http", "scheme": "bearer"} in schemes
    tags = {
        tag
        for operations in schema["paths"].values()
        for operation in operations.values()
        for tag in operation["tags"]
    }
    assert {"contacts", "staff", "groups", "entities", "roles", "access"} <= tags


def test_malformed_json_is_400(entity_admin: User) -> None:
    response = token_client(entity_admin).post(
        "/api/v1/entities", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": "Cannot parse request body"}
    assert not Entity.objects.exists()


def test_a_body_of_the_wrong_shape_is_422(entity_admin: User) -> None:
    response = token_client(entity_admin).post(
        "/api/v1/entities", "[1, 2]", content_type="application/json"
    )
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_an_unknown_uuid_is_404(client_for: ClientFor, staff_member: User) -> None:
    response = client_for(staff_member).get(f"/api/v1/contacts/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_malformed_uuid_is_422(client_for: ClientFor, staff_member: User) -> None:
    response = client_for(staff_member).get("/api/v1/contacts/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "contact_uuid"]


def test_an_unknown_api_path_is_404_in_json(
    client: Client, client_for: ClientFor, staff_member: User
) -> None:
    assert client.get("/api/v1/no/such/thing").status_code == 401
    response = client_for(staff_member).delete("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_permission_refusal_is_403_in_json(
    client_for: ClientFor, staff_member: User
) -> None:
    response = client_for(staff_member).post(
        "/api/v1/entities", {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}


def test_a_database_conflict_is_409(
    monkeypatch: pytest.MonkeyPatch, entity_admin: User
) -> None:
    def clash(**kwargs: object) -> None:
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(entity_actions, "create_entity", clash)
    response = token_client(entity_admin).post(
        "/api/v1/entities", {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "conflicts" in response.json()["detail"]


def test_an_unexpected_error_is_500_in_json(
    monkeypatch: pytest.MonkeyPatch, entity_admin: User
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(entity_actions, "create_entity", broken)
    client = token_client(entity_admin)
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/entities", {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 500
    assert response.json() == {"detail": "Server Error"}


def test_an_unexpected_error_still_fails_a_test(
    monkeypatch: pytest.MonkeyPatch, entity_admin: User
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(entity_actions, "create_entity", broken)
    with pytest.raises(RuntimeError):
        token_client(entity_admin).post(
            "/api/v1/entities", {"name": "X"}, content_type="application/json"
        )


def test_a_method_a_route_does_not_take_is_405_in_json(
    client_for: ClientFor, staff_member: User
) -> None:
    response = client_for(staff_member).post("/api/v1/me")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response["Allow"] == "GET"


def test_an_unknown_api_version_answers_in_json(client: Client) -> None:
    response = client.get("/api/v2/anything")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_staff_find_their_api_tokens_from_the_profile(
    client_for: ClientFor, staff_member: User, contact: User
) -> None:
    assert (
        "/accounts/profile/api-tokens/"
        in client_for(staff_member).get("/accounts/profile/").text
    )
    assert (
        "/accounts/profile/api-tokens/"
        not in client_for(contact).get("/accounts/profile/").text
    )


def test_the_profile_page_title_is_only_its_name(
    client_for: ClientFor, staff_member: User
) -> None:
    page = client_for(staff_member).get("/accounts/profile/").text
    assert "<title>My profile · Loket</title>" in page
    assert page.count("/accounts/profile/api-tokens/") == 1
