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
]
