from django.urls import path

from loket.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_create, name="new"),
    path("<uuid:staff_uuid>/", views.staff_detail, name="detail"),
    path("<uuid:staff_uuid>/edit/", views.staff_edit, name="edit"),
    path("<uuid:staff_uuid>/invite/", views.invite, name="invite"),
    path("<uuid:staff_uuid>/deactivate/", views.deactivate, name="deactivate"),
    path("<uuid:staff_uuid>/reactivate/", views.reactivate, name="reactivate"),
]
