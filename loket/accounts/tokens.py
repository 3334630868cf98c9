"""Signed, single-use, expiring links for activating an account.

A token is `<timestamp>-<hmac>`. The HMAC covers the account's state, password
hash and the time of the latest invitation, so activating (or a newer
invitation, or deactivation) makes every earlier link invalid.
"""

import time
from enum import Enum

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from loket.accounts.models import User

_SALT = "loket.accounts.invitation"


class Check(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    DEACTIVATED = "deactivated"
    INVALID = "invalid"


def _signature(user: User, timestamp: int, secret: str | None = None) -> str:
    invited = int(user.invited_at.timestamp()) if user.invited_at else 0
    value = f"{user.pk}:{user.state}:{user.password}:{invited}:{timestamp}"
    return salted_hmac(_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def make_invitation_token(user: User) -> str:
    timestamp = int(time.time())
    return f"{int_to_base36(timestamp)}-{_signature(user, timestamp)}"


def check_invitation_token(user: User, token: str) -> Check:
    if user.state == User.State.ACTIVE:
        return Check.USED
    if user.state == User.State.DEACTIVATED:
        return Check.DEACTIVATED
    try:
        ts_b36, signature = token.split("-", 1)
        timestamp = base36_to_int(ts_b36)
    except ValueError:
        return Check.INVALID
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if not any(
        constant_time_compare(signature, _signature(user, timestamp, secret))
        for secret in secrets
    ):
        return Check.INVALID
    if time.time() - timestamp > settings.LOKET_INVITATION_DAYS * 86400:
        return Check.EXPIRED
    return Check.VALID
