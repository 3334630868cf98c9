"""Reading and checking a bulk import of contacts.

A CSV or XLSX upload becomes plain rows (`read_upload`); `check_rows` resolves
each row's entity and groups against the database and says in words what is
wrong with it. Nothing here writes: `contacts.actions.import_contacts` does.
"""

import csv
import datetime as dt
import io
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from loket.accounts.models import User
from loket.contacts.actions import NewContact
from loket.entities.models import Entity
from loket.groups.models import Group

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Columns beyond this are never read (a wide sheet is not a contact list).
MAX_COLUMNS = 50
GROUP_SEPARATOR = "~"
# Lookups are split so that no query carries too many parameters.
_CHUNK = 500

# Accepted header names, compared lower-case without spaces, hyphens,
# underscores or dots; English and Dutch.
COLUMNS: dict[str, frozenset[str]] = {
    "email": frozenset(
        {"email", "emailaddress", "emailadres", "username", "gebruikersnaam"}
    ),
    "first_name": frozenset({"firstname", "voornaam"}),
    "last_name": frozenset({"lastname", "achternaam"}),
    "entity": frozenset({"entity", "entiteit", "cliententity", "klantentiteit"}),
    "groups": frozenset({"groups", "group", "groepen", "groep"}),
}
REQUIRED = ("email", "first_name", "last_name", "entity")
COLUMN_LABELS: dict[str, StrOrPromise] = {
    "email": gettext_lazy("e-mail"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "entity": gettext_lazy("entity"),
    "groups": gettext_lazy("groups"),
}

# Leading bytes of files people upload by mistake.
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)
_FOREIGN = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!")


class FileRefused(Exception):
    """The file cannot be imported at all; `str()` says why, in words."""


@dataclass(frozen=True)
class RawRow:
    """One row as the file has it; `line` is its row number in the file."""

    line: int
    email: str
    first_name: str
    last_name: str
    entity: str
    groups: str

    def as_list(self) -> list[Any]:
        return [
            self.line,
            self.email,
            self.first_name,
            self.last_name,
            self.entity,
            self.groups,
        ]

    @classmethod
    def from_list(cls, values: Sequence[Any]) -> "RawRow":
        line, email, first_name, last_name, entity, groups = values
        return cls(
            line=int(line),
            email=str(email),
            first_name=str(first_name),
            last_name=str(last_name),
            entity=str(entity),
            groups=str(groups),
        )

    @property
    def group_names(self) -> list[str]:
        names = (name.strip() for name in self.groups.split(GROUP_SEPARATOR))
        return [name for name in names if name]


@dataclass
class CheckedRow:
    raw: RawRow
    problems: list[str] = field(default_factory=list)
    entity: Entity | None = None
    groups: list[Group] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_new_contact(self) -> NewContact:
        assert self.ok
        assert self.entity is not None
        return NewContact(
            email=self.raw.email.strip().lower(),
            first_name=self.raw.first_name.strip(),
            last_name=self.raw.last_name.strip(),
            client_entity=self.entity,
            groups=tuple(self.groups),
        )


# Reading


def read_upload(upload: UploadedFile) -> list[RawRow]:
    """The rows of an uploaded CSV or XLSX file, or FileRefused saying why not.

    The size is checked before reading and reading stops at the first row
    past the limit, so an oversized file is never parsed whole.
    """
    size = upload.size or 0
    if size == 0:
        raise FileRefused(_("The file is empty."))
    if size > MAX_BYTES:
        raise FileRefused(
            _("The file is larger than 5 MB. Split it into smaller files.")
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if _is_xlsx(head, (upload.name or "").lower()):
        return _rows(_xlsx_cells(upload))
    return _rows(_csv_cells(upload.read()))


def _not_a_table() -> FileRefused:
    return FileRefused(
        _(
            "This file is not a CSV file or an Excel workbook (.xlsx). Save the "
            "list as “CSV UTF-8” or as an Excel workbook and upload it again."
        )
    )


def _is_xlsx(head: bytes, name: str) -> bool:
    if head.startswith(_ZIP):
        return True
    if head.startswith(_OLE2):
        raise FileRefused(
            _(
                "This is an old Excel file (.xls), which cannot be read. Save it "
                "as an Excel workbook (.xlsx) or as “CSV UTF-8” and upload it "
                "again."
            )
        )
    if head.startswith(_FOREIGN):
        raise _not_a_table()
    if name.endswith(".xlsx"):
        raise FileRefused(
            _(
                "This file is called .xlsx but is not an Excel workbook. Open it "
                "in Excel, save it as an Excel workbook and upload it again."
            )
        )
    if not name.endswith((".csv", ".txt")):
        raise _not_a_table()
    return False


def _csv_cells(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data:
        raise _not_a_table()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _("The file is not in UTF-8. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            yield record[:MAX_COLUMNS]
    except csv.Error:
        raise FileRefused(
            _("Line %(line)d of the file cannot be read as CSV.")
            % {"line": reader.line_num}
        ) from None


def _xlsx_cells(upload: UploadedFile) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:
        # openpyxl raises many kinds of error for a damaged or foreign archive.
        raise _not_a_table() from None
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The file is empty."))
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_cell_text(value) for value in values]
    except FileRefused:
        raise
    except Exception:
        raise _not_a_table() from None
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A client number typed into Excel comes back as 1001.0.
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _header_key(name: str) -> str:
    name = name.strip().lower().lstrip("\ufeff")
    for character in " -_.":
        name = name.replace(character, "")
    return name


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _header_key(name)
        for column, aliases in COLUMNS.items():
            if key in aliases and column not in found:
                found[column] = index
    missing = [str(COLUMN_LABELS[c]) for c in REQUIRED if c not in found]
    if missing:
        raise FileRefused(
            _(
                "The file lacks these columns: %(missing)s. The first row must "
                "name the columns e-mail, first name, last name, entity and "
                "(optionally) groups."
            )
            % {"missing": ", ".join(missing)}
        )
    return found


def _rows(cells: Iterable[list[str]]) -> list[RawRow]:
    columns: dict[str, int] | None = None
    rows: list[RawRow] = []
    for line, record in enumerate(cells, start=1):
        if not any(value.strip() for value in record):
            continue
        if columns is None:
            columns = _columns(record)
            continue
        if len(rows) == MAX_ROWS:
            raise FileRefused(
                _("The file has more than 5,000 rows. Split it into smaller files.")
            )
        values = {
            name: record[index].strip() if index < len(record) else ""
            for name, index in columns.items()
        }
        rows.append(
            RawRow(
                line=line,
                email=values["email"],
                first_name=values["first_name"],
                last_name=values["last_name"],
                entity=values["entity"],
                groups=values.get("groups", ""),
            )
        )
    if columns is None:
        raise FileRefused(_("The file is empty."))
    if not rows:
        raise FileRefused(_("The file has no rows below its header."))
    return rows


# Keeping the rows between the preview and the confirmation (in the session).


def pending_import(rows: Sequence[RawRow], *, file_name: str) -> dict[str, Any]:
    return {
        "token": secrets.token_hex(16),
        "file_name": file_name[:200],
        "rows": [row.as_list() for row in rows],
    }


def pending_rows(pending: dict[str, Any]) -> list[RawRow]:
    return [RawRow.from_list(values) for values in pending["rows"]]


# Checking


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    keys = sorted(keys)
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def _entities_by_key(
    entities: QuerySet[Entity], keys: set[str]
) -> tuple[dict[str, Entity], dict[str, list[Entity]]]:
    by_number: dict[str, Entity] = {}
    by_name: defaultdict[str, list[Entity]] = defaultdict(list)
    for chunk in _chunks(keys):
        matches = entities.annotate(
            lower_number=Lower("client_number"), lower_name=Lower("name")
        ).filter(Q(lower_number__in=chunk) | Q(lower_name__in=chunk))
        for entity in matches:
            if entity.client_number:
                by_number[entity.client_number.lower()] = entity
            by_name[entity.name.lower()].append(entity)
    return by_number, by_name


def _groups_by_name(groups: QuerySet[Group], keys: set[str]) -> dict[str, Group]:
    found: dict[str, Group] = {}
    for chunk in _chunks(keys):
        matches = groups.annotate(lower_name=Lower("name")).filter(lower_name__in=chunk)
        found.update({group.name.lower(): group for group in matches})
    return found


def _existing_emails(keys: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(
            User.objects.annotate(lower_email=Lower("email"))
            .filter(lower_email__in=chunk)
            .values_list("lower_email", flat=True)
        )
    return found


def _check_email(email: str) -> str | None:
    if not email:
        return _("The e-mail address is missing.")
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        return _("“%(email)s” is not a valid e-mail address.") % {"email": email}
    return None


def _check_name(value: str, missing: str, too_long: str) -> str | None:
    if not value:
        return missing
    if len(value) > 150:
        return too_long
    return None


def _resolve_entity(
    row: CheckedRow,
    by_number: dict[str, Entity],
    by_name: dict[str, list[Entity]],
) -> None:
    name = row.raw.entity
    if not name:
        row.problems.append(_("The entity is missing."))
        return
    key = name.lower()
    named = by_name.get(key, [])
    entity = by_number.get(key) or (named[0] if len(named) == 1 else None)
    if entity is None and len(named) > 1:
        row.problems.append(
            _("More than one entity is called “%(name)s”; use its client number.")
            % {"name": name}
        )
    elif entity is None:
        row.problems.append(_("There is no entity “%(name)s”.") % {"name": name})
    elif entity.is_archived:
        row.problems.append(
            _("The entity “%(name)s” is archived.") % {"name": entity.name}
        )
    else:
        row.entity = entity


def _resolve_groups(row: CheckedRow, groups: dict[str, Group]) -> None:
    for name in row.raw.group_names:
        group = groups.get(name.lower())
        if group is None:
            row.problems.append(
                _("There is no contact group “%(name)s”.") % {"name": name}
            )
        elif group not in row.groups:
            row.groups.append(group)


def check_rows(
    rows: Sequence[RawRow], *, entities: QuerySet[Entity], groups: QuerySet[Group]
) -> list[CheckedRow]:
    """Each row with its problems in words, its entity and its groups.

    `entities` and `groups` are those the importer may choose from. The number
    of queries depends on the file's size in chunks of 500, never per row.
    """
    emails = [row.email.strip().lower() for row in rows]
    by_number, by_name = _entities_by_key(
        entities, {row.entity.lower() for row in rows if row.entity}
    )
    group_names = {name.lower() for row in rows for name in row.group_names}
    contact_groups = _groups_by_name(
        groups.filter(kind=Group.Kind.CONTACT), group_names
    )
    existing = _existing_emails({email for email in emails if email})
    lines_of: defaultdict[str, list[int]] = defaultdict(list)
    for row, email in zip(rows, emails, strict=True):
        if email:
            lines_of[email].append(row.line)
    checked = []
    for row, email in zip(rows, emails, strict=True):
        result = CheckedRow(raw=row)
        result.problems.extend(_person_problems(row, email))
        _resolve_entity(result, by_number, by_name)
        _resolve_groups(result, contact_groups)
        if email in existing:
            result.problems.append(
                _("A user with this e-mail address already exists in the portal.")
            )
        if len(lines_of.get(email, [])) > 1:
            lines = ", ".join(str(line) for line in lines_of[email])
            result.problems.append(
                _(
                    "This e-mail address appears more than once in the file "
                    "(rows %(lines)s)."
                )
                % {"lines": lines}
            )
        checked.append(result)
    return checked


def _person_problems(row: RawRow, email: str) -> list[str]:
    problems = [
        _check_email(email),
        _check_name(
            row.first_name,
            _("The first name is missing."),
            _("The first name is longer than 150 characters."),
        ),
        _check_name(
            row.last_name,
            _("The last name is missing."),
            _("The last name is longer than 150 characters."),
        ),
    ]
    return [problem for problem in problems if problem]
