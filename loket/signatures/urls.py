from django.urls import path

from loket.signatures import views

app_name = "signatures"

urlpatterns = [
    path(
        "settings/signing-certificate/",
        views.certificate,
        name="certificate",
    ),
    path(
        "settings/signing-certificate/import/",
        views.import_certificate,
        name="import-certificate",
    ),
    path(
        "settings/signing-certificate/generate/",
        views.generate_certificate,
        name="generate-certificate",
    ),
    path("signatures/verify/", views.verify, name="verify"),
    path(
        "activities/new/signature-request/",
        views.pick_document,
        name="pick",
    ),
    path(
        "activities/new/signature-request/<uuid:entity_uuid>/upload/",
        views.upload_document,
        name="upload",
    ),
    path(
        "activities/new/signature-request/<uuid:entity_uuid>/commit/",
        views.commit_document,
        name="commit",
    ),
    path(
        "files/<uuid:file_uuid>/request-signature/",
        views.new_signature_request,
        name="new",
    ),
    path(
        "files/<uuid:file_uuid>/request-signature/pages/<int:page>.png",
        views.file_page_image,
        name="file-page",
    ),
    path("signatures/<uuid:request_uuid>/sign/", views.sign, name="sign"),
    path("signatures/<uuid:request_uuid>/decline/", views.decline, name="decline"),
    path("signatures/<uuid:request_uuid>/code/", views.send_code, name="send-code"),
    path(
        "signatures/<uuid:request_uuid>/code/confirm/",
        views.confirm_code,
        name="confirm-code",
    ),
    path(
        "signatures/<uuid:request_uuid>/pages/<int:page>.png",
        views.page_image,
        name="page",
    ),
    path(
        "signatures/<uuid:request_uuid>/status/",
        views.signing_status,
        name="status",
    ),
    path("signatures/<uuid:request_uuid>/retry/", views.retry, name="retry"),
    path(
        "settings/signing-certificate/settings/",
        views.signing_settings,
        name="signing-settings",
    ),
]
