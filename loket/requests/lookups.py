"""Fetching a request for the pages and the API alike: `get_request_for_user`
(404 out of sight, 403 without the right). The caller's finished upload a
response is made of comes from `loket.files.lookups.get_finished_upload`."""

from collections.abc import Callable
from uuid import UUID

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.requests.models import Request

# An access predicate on a request: (user, caps, request) -> may they?
RequestRule = Callable[[User, frozenset[str], Request], bool]


def get_request_for_user(
    user: User,
    request_uuid: UUID,
    *,
    need: Capability | None = None,
    may: RequestRule | None = None,
) -> tuple[Request, frozenset[str]]:
    """The request `user` sees by `request_uuid` (404 otherwise), its entity and
    creator read along, and what `user` holds on its entity (read once: pass it
    on). 403 without `need`, or unless `may(user, caps, request)` holds, e.g.
    `may=access.may_manage_request`."""
    requests = access.visible_requests(user).select_related("entity", "created_by")
    found, caps = access.fetch(user, requests, need=need, uuid=request_uuid)
    if may is not None:
        access.require(may(user, caps, found))
    return found, caps
