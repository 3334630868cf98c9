from django.urls import path

from loket.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path(
        "activate/<uuid:user_uuid>/new-link/",
        views.activation_new_link,
        name="activation-new-link",
    ),
    path("activate/<uuid:user_uuid>/<str:token>/", views.activate, name="activate"),
    path(
        "activate/<uuid:user_uuid>/",
        views.activate_password,
        name="activate-password",
    ),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("profile/", views.profile, name="profile"),
    path("language/", views.switch_language, name="language"),
]
