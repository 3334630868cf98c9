from django.urls import path

from loket.contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_create, name="new"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import-preview"),
    path("import/cancel/", views.import_cancel, name="import-cancel"),
    path("<uuid:contact_uuid>/", views.contact_detail, name="detail"),
    path("<uuid:contact_uuid>/edit/", views.contact_edit, name="edit"),
    path("<uuid:contact_uuid>/activate/", views.activate, name="activate"),
    path("<uuid:contact_uuid>/deactivate/", views.deactivate, name="deactivate"),
    path("<uuid:contact_uuid>/reactivate/", views.reactivate, name="reactivate"),
]
