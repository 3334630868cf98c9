from django.urls import path

from loket.groups import views
from loket.groups.models import Group

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path(
        "new/contact/",
        views.group_create,
        {"kind": Group.Kind.CONTACT},
        name="create-contact",
    ),
    path(
        "new/staff/",
        views.group_create,
        {"kind": Group.Kind.STAFF},
        name="create-staff",
    ),
    path("<uuid:group_uuid>/", views.group_detail, name="detail"),
    path("<uuid:group_uuid>/edit/", views.group_edit, name="edit"),
]
