from django.urls import path

from loket.notifications import views

app_name = "notifications"

# Included at the root: the pages live where a user looks for them.
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.notification_read_all, name="read-all"),
    path(
        "notifications/<uuid:notification_uuid>/",
        views.notification_open,
        name="open",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.unsubscribe,
        name="unsubscribe",
    ),
    path(
        "notifications/requests/<uuid:request_uuid>/reminders/",
        views.request_reminders,
        name="reminders",
    ),
    path(
        "notifications/requests/<uuid:request_uuid>/remind/",
        views.request_remind,
        name="remind",
    ),
    path(
        "notifications/requests/<uuid:request_uuid>/follow/",
        views.request_follow,
        name="follow",
    ),
    path("accounts/profile/notifications/", views.preferences, name="preferences"),
    path("settings/email/", views.email_settings, name="settings"),
    path("settings/email/log/", views.email_log, name="log"),
    path(
        "settings/email/log/<uuid:email_uuid>/retry/",
        views.email_retry,
        name="retry",
    ),
]
