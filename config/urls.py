from django.urls import include, path

from config.api import api
from loket.core import views as core_views
from loket.portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("accounts/", include("loket.accounts.urls")),
    path("contacts/", include("loket.contacts.urls")),
    path("groups/", include("loket.groups.urls")),
    path("entities/", include("loket.entities.urls")),
    path("files/", include("loket.files.urls")),
    path("activities/", include("loket.requests.urls")),
    path("settings/", include("loket.portal.settings_urls")),
    path("settings/staff/", include("loket.staff.urls")),
    path("settings/roles/", include("loket.roles.urls")),
    path("settings/history/", include("loket.audit.urls")),
    path("accounts/profile/api-tokens/", include("loket.accounts.token_urls")),
    # /notifications/…, /accounts/profile/notifications/, /settings/email/…
    path("", include("loket.notifications.urls")),
    # /settings/signing-certificate/…, /signatures/verify/
    path("", include("loket.signatures.urls")),
    # tus uploads: plain views that stream the body, before the ninja API.
    path("api/v1/uploads/", include("loket.files.tus")),
    path("api/v1/", api.urls),
]

handler400 = "loket.core.views.bad_request"
handler403 = "loket.core.views.permission_denied"
handler404 = "loket.core.views.page_not_found"
handler500 = "loket.core.views.server_error"
