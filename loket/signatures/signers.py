"""Who may be asked to sign, and where each signer of a signature request
stands, read from its `Signer` rows: for the sign page, the request's page,
the home pages and the reminders. Only reads; the changes are `actions.py`'s.

In ordered mode it is one signer's turn at a time: the first who has not
signed. Their turn started when the signer before them signed (the first
signer's when the request was sent); reminders count from then.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.requests.models import Recipient, Request
from loket.signatures.models import SignatureRequest, Signer

State = SignatureRequest.State

# How long a confirmed e-mail code lets the signer sign.
CODE_CONFIRMED_FOR = dt.timedelta(minutes=30)

# What the request's page says of a signer.
SIGNED = "signed"
DECLINED = "declined"
TO_SIGN = "to_sign"
WAITING = "waiting"  # for the signers before them (ordered mode)
STOPPED = "stopped"  # the request closed before they signed

LABELS = {
    SIGNED: _("Signed"),
    DECLINED: _("Declined"),
    TO_SIGN: _("Awaiting signature"),
    WAITING: _("Waiting for an earlier signer"),
    STOPPED: _("Not signed"),
}


def eligible_signers(entity: Entity) -> "QuerySet[User]":
    """Who may be asked to sign on `entity`: contacts with Contact – Entity
    Staff and staff members, anyone holding `activities.create` there."""
    return access.people_with(entity, Capability.ACTIVITIES_CREATE)


def signer_for(signing: SignatureRequest, user: User) -> Signer | None:
    """`user`'s row among the signers of `signing`, if they are one."""
    return signing.signers.filter(user=user).first()


def waiting_for(signer: Signer) -> list[User]:
    """In ordered mode, the signers before `signer` who have not signed yet."""
    if not signer.signing.ordered:
        return []
    before = signer.signing.signers.filter(position__lt=signer.position).exclude(
        status=Signer.Status.SIGNED
    )
    return [row.user for row in before.select_related("user")]


def needs_code(signer: Signer) -> bool:
    """Must the signer still confirm an e-mail code before signing?"""
    if signer.signing.auth_method != SignatureRequest.AuthMethod.EMAIL:
        return False
    confirmed = signer.code_verified_at
    return confirmed is None or timezone.now() - confirmed > CODE_CONFIRMED_FOR


@dataclass
class SignerState:
    signer: Signer
    state: str
    # Ordered mode: the signers before this one who have not signed yet.
    waiting_for: list[User] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(LABELS[self.state])


def _is_open(request: Request, signing: SignatureRequest) -> bool:
    return request.is_open and signing.state == State.OPEN


def states(request: Request, signing: SignatureRequest) -> list[SignerState]:
    """Each signer of `signing`, in signing order, with where they stand
    (two queries, or none when `signers__user` was prefetched)."""
    rows = sorted(signing.signers.all(), key=lambda row: row.position)
    users = {row.pk: row.user for row in rows}
    open_ = _is_open(request, signing)
    found = []
    unsigned: list[Signer] = []
    for row in rows:
        if row.status == Signer.Status.SIGNED:
            found.append(SignerState(row, SIGNED))
            continue
        if row.status == Signer.Status.DECLINED:
            found.append(SignerState(row, DECLINED))
        elif not open_:
            found.append(SignerState(row, STOPPED))
        elif signing.ordered and unsigned:
            ahead = [users[other.pk] for other in unsigned]
            found.append(SignerState(row, WAITING, ahead))
        else:
            found.append(SignerState(row, TO_SIGN))
        unsigned.append(row)
    return found


def turns(request_ids: Iterable[int]) -> dict[int, dict[int, datetime]]:
    """For each open signature request of `request_ids`: the signers who
    still have to sign now (user id) and since when it is their turn. One
    query, whatever the number of requests."""
    rows = (
        Signer.objects.filter(
            signing__request_id__in=list(request_ids),
            signing__state=State.OPEN,
            signing__request__status__in=[
                Request.Status.AWAITING,
                Request.Status.RETURNED,
            ],
            signing__request__sent_at__isnull=False,
        )
        .order_by("signing__request_id", "position")
        .values_list(
            "signing__request_id",
            "signing__request__sent_at",
            "signing__ordered",
            "user_id",
            "status",
            "signed_at",
        )
    )
    found: dict[int, dict[int, datetime]] = defaultdict(dict)
    blocked: set[int] = set()
    last_signed: dict[int, datetime] = {}
    for request_id, sent_at, ordered, user_id, status, signed_at in rows:
        if sent_at is None:  # filtered out above
            continue
        if status == Signer.Status.SIGNED:
            if signed_at is not None:
                last_signed[request_id] = max(
                    signed_at, last_signed.get(request_id, signed_at)
                )
            continue
        if status != Signer.Status.WAITING or request_id in blocked:
            continue
        if ordered:
            # Only the first who has not signed; it became their turn when the
            # signers before them had all signed.
            blocked.add(request_id)
            found[request_id][user_id] = last_signed.get(request_id, sent_at)
        else:
            found[request_id][user_id] = sent_at
    return dict(found)


def asks_something_of(user: User) -> Q:
    """A filter on requests addressed to `user`: a file request, or a
    signature request they have still to sign (now or after others)."""
    unsigned = Signer.objects.filter(
        signing__request_id=OuterRef("pk"),
        signing__state=State.OPEN,
        user=user,
        status=Signer.Status.WAITING,
    )
    return ~Q(kind=Request.Kind.SIGNATURE) | Q(Exists(unsigned))


def to_remind(request: Request) -> list[User]:
    """Who still has to act on `request` now: a file request's recipients
    who have not said it does not apply to them; a signature request's
    signers whose turn it is (none of those who signed or declined, nor, in
    ordered mode, those after the one whose turn it is)."""
    rows = Recipient.objects.filter(request=request, not_applicable=False)
    if request.kind == Request.Kind.SIGNATURE:
        rows = rows.filter(user_id__in=list(turns([request.pk]).get(request.pk, {})))
    return [row.user for row in rows.select_related("user").order_by("pk")]


def sign_turns(requests: Iterable[Request], user: User) -> dict[int, list[User]]:
    """For `user`'s open signature requests among `requests`: whom they wait
    for (empty: it is their turn). Requests they have signed or declined, and
    those no one can sign any more, are left out. One query, whatever the
    number of requests."""
    ids = [r.pk for r in requests if r.kind == Request.Kind.SIGNATURE]
    if not ids:
        return {}
    rows = (
        Signer.objects.filter(signing__request_id__in=ids, signing__state=State.OPEN)
        .select_related("user", "signing")
        .order_by("signing__request_id", "position")
    )
    found: dict[int, list[User]] = {}
    before: dict[int, list[User]] = defaultdict(list)
    for row in rows:
        request_id = row.signing.request_id
        if row.user_id == user.pk:
            if row.status == Signer.Status.WAITING:
                ahead = before[request_id] if row.signing.ordered else []
                found[request_id] = list(ahead)
        elif row.status != Signer.Status.SIGNED:
            before[request_id].append(row.user)
    return found
