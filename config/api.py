"""The JSON API at /api/v1/: each app adds its router here."""

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from loket.accounts.models import User

api = NinjaAPI(
    title="Loket API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    docs_url="/docs",
)


class MeOut(Schema):
    uuid: str
    email: str
    first_name: str
    last_name: str
    kind: str
    language: str


@api.get("/me", response=MeOut, tags=["accounts"])
def me(request: HttpRequest) -> MeOut:
    """The signed-in user."""
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return MeOut(
        uuid=str(user.uuid),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        kind=user.kind,
        language=user.language,
    )
