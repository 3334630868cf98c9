"""The rules every kind of request keeps, whichever app makes it: file
requests here (`actions.py`), signature requests in `loket.signatures`.
Each check raises ValidationError keyed by the field, in the client's words."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.files.models import File
from loket.requests.models import Request

SUBJECT_MAX = Request._meta.get_field("subject").max_length or 200


def plain_text(value: str) -> str:
    """Plain text as typed, with the browser's CRLF line breaks made LF."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_subject(subject: str) -> str:
    """The subject on one line, its spaces collapsed; refused when empty or
    too long."""
    cleaned = " ".join((subject or "").split())
    if not cleaned:
        raise ValidationError({"subject": _("Enter a subject.")}, code="required")
    if len(cleaned) > SUBJECT_MAX:
        raise ValidationError(
            {
                "subject": _("Keep the subject under %(max)d characters.")
                % {"max": SUBJECT_MAX}
            },
            code="max_length",
        )
    return cleaned


def check_due_date(due_date: date | None) -> None:
    """A due date, when given, is not in the past."""
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(
            {"due_date": _("The due date is in the past.")}, code="invalid"
        )


def check_limited(files: Iterable[File], people: list[User]) -> None:
    """A limited attachment must be one every recipient may see already: the
    request does not widen who sees a limited file."""
    for file in files:
        if not file.limited:
            continue
        sees = {file.created_by_id, *file.shared_with.values_list("pk", flat=True)}
        for user in people:
            if user.pk not in sees:
                raise ValidationError(
                    {
                        "attachments": _(
                            "%(file)s is limited and not shared with %(name)s: "
                            "share it with them first, or choose another file."
                        )
                        % {"file": file, "name": user}
                    },
                    code="invalid",
                )
