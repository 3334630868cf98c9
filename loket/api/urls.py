from django.urls import path

from loket.api import views

app_name = "api-tokens"

urlpatterns = [path("", views.token_list, name="list")]
