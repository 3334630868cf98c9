"""What the API reads and writes. Objects are named by UUID, never by id.

In the *Patch schemas every field is optional; a field left out is not
changed, and null is refused where the field cannot be empty.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator, model_validator

from loket.access import Capability
from loket.accounts.models import User
from loket.entities.models import Entity
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


# Groups


class GroupOut(Schema):
    uuid: UUID
    kind: Group.Kind
    name: str
    description: str
    created_at: datetime
    member_count: int


class GroupIn(Schema):
    kind: Group.Kind
    name: str
    description: str = ""
    members: list[UUID] = Field(default_factory=list, description="User UUIDs.")


class GroupPatch(PatchSchema):
    name: str | None = None
    description: str | None = None
    members: list[UUID] | None = Field(
        None, description="User UUIDs: the group's members become exactly these."
    )


# Entities


class EntityOut(Schema):
    uuid: UUID
    name: str
    client_number: str
    type: Entity.Type
    street: str
    postal_code: str
    city: str
    country: str
    email: str
    phone: str
    notes: str | None = Field(description="The firm's notes; null for contacts.")
    created_at: datetime
    archived_at: datetime | None

    @staticmethod
    def resolve_notes(obj: Entity, context: dict[str, Any]) -> str | None:
        user = getattr(context["request"], "auth", None)
        return obj.notes if isinstance(user, User) and user.is_staff_member else None


class EntityIn(Schema):
    name: str
    client_number: str = ""
    type: Entity.Type = Entity.Type.COMPANY
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""


class EntityPatch(PatchSchema):
    name: str | None = None
    client_number: str | None = None
    type: Entity.Type | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    notes: str | None = None


# Roles and access


class RoleOut(Schema):
    uuid: UUID
    key: str
    name: str
    description: str
    scope: Role.Scope
    audience: Role.Audience
    capabilities: list[str]
    builtin: bool

    @staticmethod
    def resolve_name(obj: Role) -> str:
        return obj.display_name


class RoleIn(Schema):
    name: str
    description: str = ""
    scope: Role.Scope
    audience: Role.Audience = Role.Audience.STAFF
    capabilities: list[Capability]


class RolePatch(PatchSchema):
    name: str | None = None
    description: str | None = None
    capabilities: list[Capability] | None = None


class PrincipalIn(Schema):
    """Exactly one of `user` and `group`."""

    user: UUID | None = None
    group: UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "PrincipalIn":
        if (self.user is None) == (self.group is None):
            raise ValueError("Give exactly one of user and group.")
        return self


class GrantIn(Schema):
    principal: PrincipalIn
    role: str = Field(description="The role's key or UUID.")


class AccessPatch(Schema):
    role: str = Field(description="The role's key or UUID.")


class AssignmentOut(Schema):
    uuid: UUID
    role: RoleRef
    user: PersonRef | None
    group: GroupRef | None
    created_at: datetime


# API tokens


class TokenOut(Schema):
    uuid: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
