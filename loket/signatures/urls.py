from django.urls import path

from loket.signatures.views import certificates, requesting, signing, verifying

app_name = "signatures"

urlpatterns = [
    path(
        "settings/signing-certificate/",
        certificates.certificate,
        name="certificate",
    ),
    path(
        "settings/signing-certificate/import/",
        certificates.import_certificate,
        name="import-certificate",
    ),
    path(
        "settings/signing-certificate/generate/",
        certificates.generate_certificate,
        name="generate-certificate",
    ),
    path("signatures/verify/", verifying.verify, name="verify"),
    path(
        "activities/new/signature-request/",
        requesting.pick_document,
        name="pick",
    ),
    path(
        "activities/new/signature-request/<uuid:entity_uuid>/upload/",
        requesting.upload_document,
        name="upload",
    ),
    path(
        "activities/new/signature-request/<uuid:entity_uuid>/commit/",
        requesting.commit_document,
        name="commit",
    ),
    path(
        "files/<uuid:file_uuid>/request-signature/",
        requesting.new_signature_request,
        name="new",
    ),
    path(
        "files/<uuid:file_uuid>/request-signature/pages/<int:page>.png",
        requesting.file_page_image,
        name="file-page",
    ),
    path("signatures/<uuid:request_uuid>/sign/", signing.sign, name="sign"),
    path("signatures/<uuid:request_uuid>/decline/", signing.decline, name="decline"),
    path("signatures/<uuid:request_uuid>/code/", signing.send_code, name="send-code"),
    path(
        "signatures/<uuid:request_uuid>/code/confirm/",
        signing.confirm_code,
        name="confirm-code",
    ),
    path(
        "signatures/<uuid:request_uuid>/pages/<int:page>.png",
        signing.page_image,
        name="page",
    ),
    path(
        "signatures/<uuid:request_uuid>/status/",
        signing.signing_status,
        name="status",
    ),
    path("signatures/<uuid:request_uuid>/retry/", signing.retry, name="retry"),
    path(
        "settings/signing-certificate/settings/",
        certificates.signing_settings,
        name="signing-settings",
    ),
]
