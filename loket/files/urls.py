"""/files/: a file's page, downloads, and the buttons of the Files tab. The tab
itself is /entities/<uuid>/files/ (entities:files)."""

from django.urls import path

from loket.files import views

app_name = "files"

urlpatterns = [
    path("<uuid:file_uuid>/", views.detail, name="detail"),
    path("<uuid:file_uuid>/download/", views.download, name="download"),
    path("<uuid:file_uuid>/rename/", views.rename, name="rename"),
    path("<uuid:file_uuid>/move/", views.move, name="move"),
    path("<uuid:file_uuid>/delete/", views.delete, name="delete"),
    path("<uuid:file_uuid>/restore/", views.restore, name="restore"),
    path("<uuid:file_uuid>/purge/", views.purge, name="purge"),
    path("<uuid:file_uuid>/limited/", views.set_limited, name="limited"),
    path("<uuid:file_uuid>/share/", views.share, name="share"),
    path(
        "<uuid:file_uuid>/versions/commit/",
        views.version_commit,
        name="version-commit",
    ),
    path(
        "<uuid:file_uuid>/versions/upload/",
        views.version_upload,
        name="version-upload",
    ),
    path(
        "versions/<uuid:version_uuid>/download/",
        views.version_download,
        name="version-download",
    ),
    path(
        "versions/<uuid:version_uuid>/restore/",
        views.restore_version,
        name="version-restore",
    ),
    path("entity/<uuid:entity_uuid>/commit/", views.commit, name="commit"),
    path("entity/<uuid:entity_uuid>/upload/", views.upload, name="upload"),
    path("entity/<uuid:entity_uuid>/trash/", views.trash, name="trash"),
    path(
        "entity/<uuid:entity_uuid>/trash/empty/", views.empty_trash, name="empty-trash"
    ),
    path(
        "entity/<uuid:entity_uuid>/folders/new/",
        views.folder_create,
        name="folder-create",
    ),
    path(
        "folders/<uuid:folder_uuid>/rename/", views.folder_rename, name="folder-rename"
    ),
    path("folders/<uuid:folder_uuid>/move/", views.folder_move, name="folder-move"),
    path(
        "folders/<uuid:folder_uuid>/delete/", views.folder_delete, name="folder-delete"
    ),
    path(
        "folders/<uuid:folder_uuid>/restore/",
        views.folder_restore,
        name="folder-restore",
    ),
]
