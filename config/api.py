"""The JSON API at /api/v1/: each app adds its router here."""

from django.http import Http404, HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router
from ninja.operation import Operation

from loket.accounts import api as accounts
from loket.api import errors
from loket.api.auth import API_AUTH
from loket.contacts import api as contacts
from loket.entities import api as entities
from loket.files import api as files
from loket.groups import api as groups
from loket.requests import api as requests
from loket.roles import api as roles
from loket.signatures import api as signatures
from loket.staff import api as staff


class LoketAPI(NinjaAPI):
    def get_operation_url_name(self, operation: Operation, router: Router) -> str:
        # House style: kebab-case URL names (api:list-contacts).
        return operation.view_func.__name__.replace("_", "-")

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = errors.json_method_not_allowed(pattern.callback)
        return patterns, app_name, namespace


api = LoketAPI(
    title="Loket API",
    version="1",
    description=(
        "Loket's JSON API. Authenticate with a personal API token "
        "(`Authorization: Bearer lok_…`, made on your profile page) or, from "
        "the browser, with your session and its CSRF token. Errors are "
        '`{"detail": ...}`: 400 malformed, 401 not authenticated, 403 not '
        "allowed, 404 missing or out of reach, 409 conflict, 422 invalid."
    ),
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
)
errors.install(api)


api.add_router("", accounts.router)
api.add_router("/contacts", contacts.router)
api.add_router("/staff", staff.router)
api.add_router("/groups", groups.router)
api.add_router("/entities", entities.router)
api.add_router("/entities", roles.access_router)
api.add_router("/roles", roles.router)
api.add_router("", files.router)
api.add_router("/requests", requests.router)
api.add_router("", files.s3_router)
api.add_router("", signatures.router)

# Last: any other path under /api/v1/ answers in JSON too, not with the HTML
# 404 page (after authentication, like every route).
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:rest}",
    include_in_schema=False,
    url_name="not-found",
)
def not_found(request: HttpRequest, rest: str) -> None:
    raise Http404


api.add_router("", fallback)
