"""The API tokens page of the profile (/accounts/profile/api-tokens/)."""

from django.urls import path

from loket.accounts import views

app_name = "api-tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("<uuid:token_uuid>/revoke/", views.token_revoke, name="revoke"),
]
