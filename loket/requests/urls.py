from django.urls import path

from loket.requests import views, wizard

app_name = "requests"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/file-request/", wizard.new, name="new"),
    path("new/file-request/upload/", wizard.new_upload, name="new-upload"),
    path("<uuid:request_uuid>/", views.detail, name="detail"),
    path("<uuid:request_uuid>/edit/", views.edit, name="edit"),
    path("<uuid:request_uuid>/send/", views.send, name="send"),
    path("<uuid:request_uuid>/accept/", views.accept, name="accept"),
    path("<uuid:request_uuid>/return/", views.return_response, name="return"),
    path("<uuid:request_uuid>/cancel/", views.cancel, name="cancel"),
    path("<uuid:request_uuid>/comment/", views.comment, name="comment"),
    path("<uuid:request_uuid>/upload/", views.upload, name="upload"),
    path("<uuid:request_uuid>/submit/", views.submit, name="submit"),
    path(
        "<uuid:request_uuid>/not-applicable/",
        views.not_applicable,
        name="not-applicable",
    ),
]
