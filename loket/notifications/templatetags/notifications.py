"""`{% request_notifications request_obj %}`: the staff's Follow / Reminders
buttons for a request page, in one line of the page's template."""

from typing import Any

from django import template

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.notifications.actions import is_following
from loket.requests.models import Request

register = template.Library()


@register.inclusion_tag("notifications/_request_tools.html", takes_context=True)
def request_notifications(
    context: dict[str, Any], request_obj: Request
) -> dict[str, Any]:
    user = context.get("user")
    if not isinstance(user, User):
        return {"show": False}
    held = access.entity_capabilities(user, request_obj.entity)
    if Capability.ACTIVITIES_VIEW_ALL not in held:
        return {"show": False}
    return {
        "show": True,
        "request_obj": request_obj,
        "following": is_following(request_obj, user),
        "may_remind": Capability.ACTIVITIES_CREATE in held and request_obj.is_open,
        "next": context["request"].get_full_path() if "request" in context else "",
        "csrf_token": context.get("csrf_token"),
    }
