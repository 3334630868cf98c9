from django.urls import path

from loket.contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list, name="list"),
    path("<uuid:contact_uuid>/", views.contact_detail, name="detail"),
    path("<uuid:contact_uuid>/activate/", views.activate, name="activate"),
    path("<uuid:contact_uuid>/deactivate/", views.deactivate, name="deactivate"),
    path("<uuid:contact_uuid>/reactivate/", views.reactivate, name="reactivate"),
]
