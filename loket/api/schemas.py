"""What every part of the API shares: references to entities, groups, roles
and people, the patch base, and the people schemas of contacts and staff.
Each app keeps its own schemas beside its router (`loket/<app>/api.py`).
Objects are named by UUID, never by id.

In the *Patch schemas every field is optional; a field left out is not
changed, and null is refused where the field cannot be empty.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator

from loket.accounts.models import User
from loket.groups.models import Group
from loket.roles.models import Role


class EntityRef(Schema):
    uuid: UUID
    name: str


class GroupRef(Schema):
    uuid: UUID
    name: str
    kind: Group.Kind


class RoleRef(Schema):
    uuid: UUID
    key: str
    name: str

    @staticmethod
    def resolve_name(obj: Role) -> str:
        return obj.display_name


class PersonRef(Schema):
    uuid: UUID
    email: str
    first_name: str
    last_name: str
    kind: User.Kind
    state: User.State


class PatchSchema(Schema):
    """Every field may be left out (kept as it is); none may be null."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


# People


class StaffOut(Schema):
    uuid: UUID
    email: str
    first_name: str
    last_name: str
    language: User.Language
    state: User.State
    created_at: datetime
    invited_at: datetime | None
    activated_at: datetime | None


class ContactOut(StaffOut):
    client_entity: EntityRef | None


class StaffIn(Schema):
    email: str
    first_name: str
    last_name: str
    language: User.Language = User.Language.NL


class ContactIn(StaffIn):
    client_entity: UUID = Field(description="The contact's client entity.")


class StaffPatch(PatchSchema):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: User.Language | None = None


class ContactPatch(StaffPatch):
    client_entity: UUID | None = None
