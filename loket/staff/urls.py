from django.urls import path

from loket.staff import views

app_name = "staff"

urlpatterns = [path("", views.staff_list, name="list")]
