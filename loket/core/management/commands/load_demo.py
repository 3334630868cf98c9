from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from loket.accounts import actions as account_actions
from loket.accounts.models import User
from loket.entities import actions as entity_actions
from loket.entities.models import Entity
from loket.groups import actions as group_actions
from loket.groups.models import Group
from loket.roles import actions as role_actions
from loket.roles.models import Role, RoleAssignment

PASSWORD = "demo-loket-2026"  # noqa: S105 - printed for the demo on purpose

ENTITIES = [
    ("Bakkerij De Vries BV", "C-1001", Entity.Type.COMPANY, "Utrecht"),
    ("Garage Jansen VOF", "C-1002", Entity.Type.PARTNERSHIP, "Amersfoort"),
    ("Stichting Buurtzorg Oost", "C-1003", Entity.Type.FOUNDATION, "Zwolle"),
]

# (e-mail, first name, last name, kind, state, firm role, language, client entity)
PEOPLE = [
    ("admin@demo.loket.test", "Anna", "de Vries", "staff", "active",
     "administrator", "nl", None),
    ("staff@demo.loket.test", "Bram", "Jansen", "staff", "active",
     "staff-administrator", "en", None),
    ("accountant@demo.loket.test", "Carla", "Bakker", "staff", "active",
     None, "nl", None),
    ("client@demo.loket.test", "Daan", "Visser", "contact", "active",
     None, "nl", "C-1001"),
    ("owner@bakkerij.demo.loket.test", "Eva", "Smit", "contact", "active",
     None, "en", "C-1001"),
    ("garage@demo.loket.test", "Henk", "Jansen", "contact", "active",
     None, "nl", "C-1002"),
    ("invited@demo.loket.test", "Femke", "Mulder", "contact", "invited",
     None, "nl", "C-1003"),
    ("new@demo.loket.test", "Gijs", "de Boer", "contact", "not_activated",
     None, "nl", "C-1003"),
]  # fmt: skip

# (group name, kind, members, role on entity, entity client number)
GROUPS = [
    ("Directie Bakkerij De Vries", "contact",
     ["client@demo.loket.test", "owner@bakkerij.demo.loket.test"],
     "contact-entity-staff", "C-1001"),
    ("Auditteam", "staff", ["accountant@demo.loket.test"], "owner", "C-1002"),
]  # fmt: skip

# (e-mail, role, entity client number): direct shares.
SHARES = [
    ("accountant@demo.loket.test", "owner", "C-1001"),
    ("accountant@demo.loket.test", "reader", "C-1003"),
    ("garage@demo.loket.test", "contact-entity-access", "C-1002"),
]


class Command(BaseCommand):
    help = "Load (or refresh) the demo firm. Safe to run more than once."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        admin = self._person(PEOPLE[0], actor=None)
        entities = {}
        for name, number, kind, city in ENTITIES:
            entity = Entity.objects.filter(client_number=number).first()
            if entity is None:
                entity = entity_actions.create_entity(
                    actor=admin, name=name, client_number=number, type=kind, city=city
                )
            entities[number] = entity
        people = {row[0]: self._person(row, actor=admin) for row in PEOPLE}
        roles = {role.key: role for role in Role.objects.all()}
        for name, group_kind, members, role_key, number in GROUPS:
            group = Group.objects.filter(kind=group_kind, name=name).first()
            if group is None:
                group = group_actions.create_group(
                    kind=group_kind,
                    name=name,
                    members=[people[email] for email in members],
                    actor=admin,
                )
            role_actions.share_entity(
                entities[number],
                principals=[group],
                roles=[roles[role_key]],
                actor=admin,
            )
        for email, role_key, number in SHARES:
            role_actions.share_entity(
                entities[number],
                principals=[people[email]],
                roles=[roles[role_key]],
                actor=admin,
            )
        self.stdout.write(self._banner())

    def _person(self, row: tuple[Any, ...], actor: User | None) -> User:
        email, first, last, kind, state, role_key, language, number = row
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, first_name=first, last_name=last, kind=kind)
        user.language = language
        user.client_entity = (
            Entity.objects.get(client_number=number) if number else None
        )
        user.state = state
        if state == User.State.ACTIVE:
            user.set_password(PASSWORD)
            user.activated_at = user.activated_at or timezone.now()
        else:
            user.set_unusable_password()
        user.save()
        if state == User.State.INVITED and user.invited_at is None and actor:
            user.state = User.State.NOT_ACTIVATED
            user.save(update_fields=["state"])
            account_actions.send_invitation(user, actor=actor)
        if role_key:
            RoleAssignment.objects.get_or_create(
                user=user, role=Role.objects.get(key=role_key), entity=None
            )
        return user

    def _banner(self) -> str:
        lines = [
            "",
            "Loket demo firm is ready. Open http://127.0.0.1:8000 and sign in with:",
            "",
        ]
        for email, first, last, kind, state, role_key, _lang, _number in PEOPLE:
            if state != "active":
                continue
            what = role_key or ("staff member" if kind == "staff" else "contact")
            lines.append(f"  {email:<34} {PASSWORD}   ({first} {last}, {what})")
        lines += [
            "",
            "E-mails are written to var/mail/ and echoed in this terminal.",
            "",
        ]
        return "\n".join(lines)
