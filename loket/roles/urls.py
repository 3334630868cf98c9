from django.urls import path

from loket.roles import views

app_name = "roles"

urlpatterns = [
    path("", views.role_list, name="list"),
    path("new/", views.role_create, name="create"),
    path("<uuid:role_uuid>/edit/", views.role_edit, name="edit"),
    path("assignments/", views.firm_assignments, name="assignments"),
    path(
        "assignments/<uuid:assignment_uuid>/revoke/",
        views.firm_assignment_revoke,
        name="assignment-revoke",
    ),
]
