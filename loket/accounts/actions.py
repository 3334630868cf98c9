"""Every change to an account: atomic, each writing its history event."""

import time
from typing import Any

from django.contrib import auth
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.core.effects import promise
from loket.core.middleware import SIGNED_IN_AT
from loket.entities.models import Entity
from loket.notifications import tasks


@transaction.atomic
def sign_in(request: HttpRequest, user: User) -> None:
    """Start a session for `user` (Django rotates the session key)."""
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SIGNED_IN_AT] = time.time()
    record(Event.Verb.SIGNED_IN, actor=user, target=user, request=request)


@transaction.atomic
def record_failed_sign_in(
    request: HttpRequest, *, email: str, locked_out: bool
) -> None:
    """Note a refused sign-in; the e-mail typed is kept, the password never."""
    email = email.strip().lower()[:254]
    user = User.objects.filter(email__iexact=email).first()
    record(
        Event.Verb.LOCKED_OUT if locked_out else Event.Verb.SIGN_IN_FAILED,
        actor=None,
        target=user,
        target_label=email,
        data={"email": email},
        request=request,
    )


@transaction.atomic
def sign_out(request: HttpRequest) -> None:
    user = request.user
    if isinstance(user, User):
        record(Event.Verb.SIGNED_OUT, actor=user, target=user, request=request)
    auth.logout(request)


@transaction.atomic
def send_invitation(
    user: User, *, actor: User | None, request: HttpRequest | None = None
) -> User:
    """Invite `user` to activate their account (or send a fresh invitation).

    A new invitation makes the links of earlier ones invalid.
    """
    if user.state not in (User.State.NOT_ACTIVATED, User.State.INVITED):
        raise ValidationError(
            _("Only an account that is not yet active can be invited."),
            code="not_invitable",
        )
    resend = user.state == User.State.INVITED
    user.state = User.State.INVITED
    user.invited_at = timezone.now()
    user.save(update_fields=["state", "invited_at"])
    record(
        Event.Verb.INVITATION_SENT,
        actor=actor,
        target=user,
        data={"resend": resend},
        request=request,
    )
    promise(tasks.send_invitation, user.pk)
    return user


@transaction.atomic
def activate_account(user: User, *, password: str, request: HttpRequest) -> User:
    """The invited user chose a password: the account is active and signed in."""
    user.set_password(password)
    user.state = User.State.ACTIVE
    user.activated_at = timezone.now()
    user.save(update_fields=["password", "state", "activated_at"])
    record(Event.Verb.ACTIVATED, actor=user, target=user, request=request)
    sign_in(request, user)
    return user


@transaction.atomic
def deactivate_user(
    user: User, *, actor: User, request: HttpRequest | None = None
) -> User:
    """Close the account; its open sessions end at their next request."""
    if user.state == User.State.DEACTIVATED:
        return user
    if user == actor:
        raise ValidationError(
            _("You cannot deactivate your own account."), code="self_deactivation"
        )
    old_state = user.state
    user.state = User.State.DEACTIVATED
    user.sessions_revoked_at = timezone.now()
    user.save(update_fields=["state", "sessions_revoked_at"])
    record(
        Event.Verb.DEACTIVATED,
        actor=actor,
        target=user,
        data={"old_state": old_state},
        request=request,
    )
    return user


@transaction.atomic
def reactivate_user(
    user: User, *, actor: User, request: HttpRequest | None = None
) -> User:
    """Open a deactivated account again: active if it has a password, else it
    needs a new invitation."""
    if user.state != User.State.DEACTIVATED:
        raise ValidationError(
            _("Only a deactivated account can be reactivated."),
            code="not_deactivated",
        )
    user.state = (
        User.State.ACTIVE if user.has_usable_password() else User.State.NOT_ACTIVATED
    )
    user.save(update_fields=["state"])
    record(
        Event.Verb.REACTIVATED,
        actor=actor,
        target=user,
        data={"new_state": user.state},
        request=request,
    )
    return user


@transaction.atomic
def request_password_reset(user: User, *, request: HttpRequest) -> None:
    """E-mail a reset link; an account still waiting for activation gets a fresh
    invitation instead, since it has no password to reset."""
    if user.state == User.State.INVITED:
        send_invitation(user, actor=None, request=request)
        return
    if user.state != User.State.ACTIVE:
        return
    record(
        Event.Verb.PASSWORD_RESET_REQUESTED, actor=None, target=user, request=request
    )
    promise(tasks.send_password_reset, user.pk)


@transaction.atomic
def reset_password(user: User, *, password: str, request: HttpRequest) -> User:
    user.set_password(password)
    user.sessions_revoked_at = timezone.now()
    user.save(update_fields=["password", "sessions_revoked_at"])
    record(Event.Verb.PASSWORD_RESET, actor=user, target=user, request=request)
    return user


@transaction.atomic
def change_password(user: User, *, password: str, request: HttpRequest) -> User:
    """Change the password; other sessions end, this one stays signed in."""
    user.set_password(password)
    user.save(update_fields=["password"])
    auth.update_session_auth_hash(request, user)
    record(Event.Verb.PASSWORD_CHANGED, actor=user, target=user, request=request)
    return user


@transaction.atomic
def set_language(user: User, *, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def _email_taken(email: str, exclude: User | None = None) -> bool:
    clash = User.objects.filter(email__iexact=email)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    return clash.exists()


def new_person(
    *,
    kind: str,
    email: str,
    first_name: str,
    last_name: str,
    language: str = User.Language.NL,
    client_entity: Entity | None = None,
) -> User:
    """A person ready to save (not saved): normalised and validated, except for
    the e-mail's uniqueness, which the caller checks (one by one or in bulk)."""
    if kind == User.Kind.CONTACT and client_entity is None:
        raise ValidationError(
            {"client_entity": _("Choose the contact's client entity.")},
            code="required",
        )
    user = User(
        kind=kind,
        email=User.objects.normalize_email(email.strip()).lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=language,
        client_entity=client_entity if kind == User.Kind.CONTACT else None,
    )
    user.set_unusable_password()
    # The client entity was chosen from a list the database gave; checking it
    # again would cost a query per person on imports.
    user.full_clean(
        exclude=["client_entity"], validate_unique=False, validate_constraints=False
    )
    return user


@transaction.atomic
def create_person(
    *,
    kind: str,
    email: str,
    first_name: str,
    last_name: str,
    language: str = User.Language.NL,
    client_entity: Entity | None = None,
    actor: User,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> User:
    """Add a contact or a staff member; the account starts *not activated*."""
    user = new_person(
        kind=kind,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        client_entity=client_entity,
    )
    if _email_taken(user.email):
        raise ValidationError(
            {"email": _("A user with this e-mail address exists.")}, code="duplicate"
        )
    user.save()
    email = user.email
    record(
        Event.Verb.CONTACT_CREATED
        if kind == User.Kind.CONTACT
        else Event.Verb.STAFF_CREATED,
        actor=actor,
        target=user,
        entity=user.client_entity,
        data={"email": email, **(data or {})},
        request=request,
    )
    return user


@transaction.atomic
def update_person(
    user: User,
    *,
    actor: User,
    request: HttpRequest | None = None,
    **changes: Any,
) -> User:
    """Change a person's details; the e-mail address stays unique."""
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(
            changes["email"].strip()
        ).lower()
        if _email_taken(changes["email"], exclude=user):
            raise ValidationError(
                {"email": _("A user with this e-mail address exists.")},
                code="duplicate",
            )
    if user.is_contact and "client_entity" in changes and not changes["client_entity"]:
        raise ValidationError(
            {"client_entity": _("Choose the contact's client entity.")},
            code="required",
        )
    diff = apply_changes(user, changes)
    if diff:
        user.full_clean()
        user.save()
        record(
            Event.Verb.CONTACT_CHANGED if user.is_contact else Event.Verb.STAFF_CHANGED,
            actor=actor,
            target=user,
            entity=user.client_entity,
            data=diff,
            request=request,
        )
    return user
