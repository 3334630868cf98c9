"""Every API error is JSON: `{"detail": ...}` with the status that fits.

400 malformed request, 401 no or invalid authentication (ninja), 403 missing
capability, 404 missing or out of scope (the same answer), 409 conflict with
existing data, 422 invalid input: ninja's list of errors, or the messages of
an action's ValidationError in the same shape.
"""

import logging
from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from django.apps import apps
from django.core import signals
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.utils.translation import gettext as _
from ninja import NinjaAPI

logger = logging.getLogger("django.request")

# Codes of an action's ValidationError that mean "this clashes with what
# exists" rather than "this is not valid".
CONFLICT_CODES = frozenset({"duplicate", "duplicate_name", "unique", "conflict"})


def _unique_constraint_messages() -> set[str]:
    """The messages of the models' unique constraints, in the active language:
    full_clean() raises them without a code."""
    found = set()
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                found.add(str(constraint.get_violation_error_message()))
    return found


def _errors(error: DjangoValidationError) -> list[tuple[str, str, str | None]]:
    """(field, message, code) for each message; field "" for the whole input."""
    found: list[tuple[str, str, str | None]] = []
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = "" if field == NON_FIELD_ERRORS else field
            for item in errors:
                found.extend((name, message, item.code) for message in item.messages)
    else:
        for item in error.error_list:
            found.extend(("", message, item.code) for message in item.messages)
    return found


def is_conflict(error: DjangoValidationError) -> bool:
    # A dict error drops its code on the way in; the original stays in args.
    codes = {code for _field, _message, code in _errors(error)}
    codes.add(error.args[1] if len(error.args) > 1 else None)
    if codes & CONFLICT_CODES:
        return True
    messages = {message for _field, message, _code in _errors(error)}
    return bool(messages & _unique_constraint_messages())


def validation_failed(
    request: HttpRequest, exc: DjangoValidationError, *, api: NinjaAPI
) -> HttpResponse:
    errors = _errors(exc)
    if is_conflict(exc):
        detail = " ".join(message for _field, message, _code in errors)
        return api.create_response(request, {"detail": detail}, status=409)
    top_code = exc.args[1] if len(exc.args) > 1 else None
    body: list[dict[str, Any]] = [
        {
            "loc": ["body", field] if field else ["body"],
            "msg": message,
            "type": code or top_code or "invalid",
        }
        for field, message, code in errors
    ]
    return api.create_response(request, {"detail": body}, status=422)


def forbidden(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, {"detail": "Forbidden"}, status=403)


def not_found(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, {"detail": "Not Found"}, status=404)


def conflict(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    # A unique constraint hit by a concurrent request, past the action's check.
    detail = _("This conflicts with existing data; reload and try again.")
    return api.create_response(request, {"detail": detail}, status=409)


def server_error(
    request: HttpRequest, exc: Exception, *, api: NinjaAPI
) -> HttpResponse:
    # What Django does for an unhandled exception (the log, the signal the test
    # client re-raises from), answered in JSON instead of the HTML error page.
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    signals.got_request_exception.send(sender=None, request=request)
    return api.create_response(request, {"detail": "Server Error"}, status=500)


def json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an API view so that a method it does not take is answered with a
    JSON 405 (ninja answers in plain text)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse({"detail": "Method Not Allowed"}, status=405)
            response["Allow"] = allowed
        return response

    return wrapped


def install(api: NinjaAPI) -> None:
    """Answer Django's and the actions' exceptions in JSON."""
    handlers: list[tuple[type[Exception], Any]] = [
        (DjangoValidationError, validation_failed),
        (PermissionDenied, forbidden),
        (Http404, not_found),
        (IntegrityError, conflict),
        (Exception, server_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, partial(handler, api=api))
