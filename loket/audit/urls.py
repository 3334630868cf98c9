from django.urls import path

from loket.audit import views

app_name = "history"

urlpatterns = [
    path("", views.firm_history, name="firm"),
    path("export.csv", views.firm_history_csv, name="firm-csv"),
]
