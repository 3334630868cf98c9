from django.urls import include, path

from loket.entities import tabs, views

app_name = "entities"

urlpatterns = [
    path("", views.entity_list, name="list"),
    path("new/", views.entity_create, name="create"),
    path("<uuid:entity_uuid>/", views.entity_overview, name="detail"),
    path("<uuid:entity_uuid>/edit/", views.entity_edit, name="edit"),
    path("<uuid:entity_uuid>/archive/", views.entity_archive, name="archive"),
    path("<uuid:entity_uuid>/restore/", views.entity_restore, name="restore"),
    # The tabs the features registered: Files, Activities, History, Access…
    path("<uuid:entity_uuid>/", include(tabs.urlpatterns())),
]
