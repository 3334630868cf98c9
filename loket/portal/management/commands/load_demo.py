import io
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from loket.accounts import actions as account_actions
from loket.accounts.models import User
from loket.entities import actions as entity_actions
from loket.entities.models import Entity
from loket.files import actions as file_actions
from loket.files import storage
from loket.files.models import File, Folder
from loket.groups import actions as group_actions
from loket.groups.models import Group
from loket.requests import actions as request_actions
from loket.requests.models import Request
from loket.roles import actions as role_actions
from loket.roles.models import Role, RoleAssignment
from loket.signatures import actions as signature_actions
from loket.signatures.models import SigningCertificate

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

# (entity client number, folder or "", file name, limited, uploaded by)
FILES = [
    ("C-1001", "Jaarrekening 2025", "Jaarrekening 2025 concept.pdf", False,
     "accountant@demo.loket.test"),
    ("C-1001", "Jaarrekening 2025", "Opdrachtbevestiging 2026.pdf", False,
     "accountant@demo.loket.test"),
    ("C-1001", "", "Werkdocument controle.pdf", True, "accountant@demo.loket.test"),
    ("C-1001", "", "Kassabonnen september.pdf", False, "client@demo.loket.test"),
    ("C-1002", "", "Btw-aangifte Q3.pdf", False, "admin@demo.loket.test"),
]  # fmt: skip

# (entity, subject, description, recipients, due in days, attachment, sent by)
REQUESTS = [
    ("C-1001", "Bankafschriften 2025",
     "Wilt u de bankafschriften van alle zakelijke rekeningen over 2025 uploaden?\n"
     "Een PDF-export uit uw bankomgeving is prima.",
     ["client@demo.loket.test", "owner@bakkerij.demo.loket.test"], 14, None,
     "accountant@demo.loket.test"),
]  # fmt: skip

# (entity, subject, file, signers in order, due in days, asked by)
SIGNATURE_REQUESTS = [
    ("C-1001", "Opdrachtbevestiging 2026 ondertekenen", "Opdrachtbevestiging 2026.pdf",
     ["owner@bakkerij.demo.loket.test", "client@demo.loket.test"], 7,
     "accountant@demo.loket.test"),
]  # fmt: skip


def _demo_pdf(title: str) -> bytes:
    """A one-page PDF saying `title`, small enough to write by hand."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


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
                notify=False,  # demo data: no "you have access" e-mails
            )
        for email, role_key, number in SHARES:
            role_actions.share_entity(
                entities[number],
                principals=[people[email]],
                roles=[roles[role_key]],
                actor=admin,
                notify=False,
            )
        self._files(entities, people)
        self._requests(entities, people)
        self._signature_requests(entities, people, admin)
        self.stdout.write(self._banner())

    def _files(self, entities: dict[str, Entity], people: dict[str, User]) -> None:
        for number, folder_name, name, limited, email in FILES:
            entity = entities[number]
            if File.objects.filter(entity=entity, name=name).exists():
                continue
            actor = people[email]
            folder = None
            if folder_name:
                folder = Folder.objects.filter(
                    entity=entity, name=folder_name, deleted_at__isnull=True
                ).first() or file_actions.create_folder(
                    entity, actor=actor, name=folder_name
                )
            blob = storage.store_stream(io.BytesIO(_demo_pdf(name)), name)
            file_actions.add_file(
                entity, actor=actor, blob=blob, name=name, folder=folder,
                limited=limited,
            )  # fmt: skip

    def _requests(self, entities: dict[str, Entity], people: dict[str, User]) -> None:
        today = timezone.localdate()
        for number, subject, text, to, days, attachment, email in REQUESTS:
            entity = entities[number]
            if Request.objects.filter(entity=entity, subject=subject).exists():
                continue
            request_actions.create_request(
                entity,
                actor=people[email],
                subject=subject,
                description=text,
                recipients=[people[address] for address in to],
                due_date=today + timedelta(days=days),
                attachments=File.objects.filter(entity=entity, name=attachment),
            )

    def _signature_requests(
        self, entities: dict[str, Entity], people: dict[str, User], admin: User
    ) -> None:
        if SigningCertificate.objects.current() is None:
            # Self-signed: PDF readers call its signatures untrusted (a demo).
            signature_actions.generate_signing_certificate(
                "Loket demo firm", organization="Loket demo", actor=admin
            )
        today = timezone.localdate()
        for number, subject, name, signers, days, email in SIGNATURE_REQUESTS:
            entity = entities[number]
            if Request.objects.filter(entity=entity, subject=subject).exists():
                continue
            signature_actions.request_signature(
                File.objects.get(entity=entity, name=name),
                actor=people[email],
                signers=[people[address] for address in signers],
                subject=subject,
                message="Wilt u de opdrachtbevestiging voor 2026 ondertekenen?",
                due_date=today + timedelta(days=days),
            )

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
