from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from undersigned.web.manage import accounts as views
from undersigned.web.manage import twofactor

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("invite/", views.organizer_invite, name="organizer_invite"),
    path("two-factor/", twofactor.two_factor, name="two_factor"),
    path("two-factor/verify/", twofactor.two_factor_verify, name="two_factor_verify"),
    path("two-factor/app/", twofactor.totp_setup, name="totp_setup"),
    path("two-factor/recovery-codes/", twofactor.recovery_codes_new, name="recovery_codes_new"),
    path("two-factor/app/remove/", twofactor.second_factor_delete, name="totp_remove"),
    path(
        "two-factor/passkeys/<int:passkey_id>/remove/",
        twofactor.second_factor_delete,
        name="passkey_remove",
    ),
]
