from django.urls import path

from loket.groups import views

app_name = "groups"

urlpatterns = [path("", views.group_list, name="list")]
