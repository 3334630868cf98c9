from django.urls import path

from loket.core import views

app_name = "settings"

urlpatterns = [path("", views.settings_index, name="index")]
