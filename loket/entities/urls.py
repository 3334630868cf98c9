from django.urls import path

from loket.audit import views as history_views
from loket.entities import views
from loket.roles import views as access_views

app_name = "entities"

urlpatterns = [
    path("", views.entity_list, name="list"),
    path("new/", views.entity_create, name="create"),
    path("<uuid:entity_uuid>/", views.entity_overview, name="detail"),
    path("<uuid:entity_uuid>/edit/", views.entity_edit, name="edit"),
    path("<uuid:entity_uuid>/archive/", views.entity_archive, name="archive"),
    path("<uuid:entity_uuid>/restore/", views.entity_restore, name="restore"),
    path("<uuid:entity_uuid>/files/", views.entity_files, name="files"),
    path("<uuid:entity_uuid>/activities/", views.entity_activities, name="activities"),
    # The History tab (loket/audit/views.py).
    path("<uuid:entity_uuid>/history/", history_views.entity_history, name="history"),
    path(
        "<uuid:entity_uuid>/history.csv",
        history_views.entity_history_csv,
        name="history-csv",
    ),
    # The Access tab and the Share dialog (loket/roles/views.py).
    path("<uuid:entity_uuid>/access/", access_views.entity_access, name="access"),
    path("<uuid:entity_uuid>/share/", access_views.share, name="share"),
    path(
        "<uuid:entity_uuid>/access/<uuid:assignment_uuid>/change/",
        access_views.access_change,
        name="access-change",
    ),
    path(
        "<uuid:entity_uuid>/access/<uuid:assignment_uuid>/revoke/",
        access_views.access_revoke,
        name="access-revoke",
    ),
]
