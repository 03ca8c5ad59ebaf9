from django.urls import include, path

from undersigned.web.api import api
from undersigned.web.public import letters as public
from undersigned.web.public import links

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("accounts/", include("undersigned.web.manage.urls_accounts")),
    # Passkeys: django-otp-webauthn's JSON ceremony endpoints, used by its static scripts.
    path("accounts/passkeys/", include("django_otp_webauthn.urls")),
    path("manage/", include("undersigned.web.manage.urls_letters")),
    path(
        "manage/letters/<slug:slug>/signatures/", include("undersigned.web.manage.urls_signatures")
    ),
    path("manage/letters/<slug:slug>/", include("undersigned.web.manage.urls_delivery")),
    path("l/<slug:slug>/", include("undersigned.web.public.urls_letters")),
    path("l/<slug:slug>/", include("undersigned.web.public.urls_signing")),
    path("l/<slug:slug>/log/", include("undersigned.web.public.urls_log")),
    path("l/<slug:slug>/", include("undersigned.web.public.urls_delivery")),
    # The link in every code message: neutral, naming no letter (signing/services/messages.py).
    path("c/<slug:token>/", links.mailbox_link, name="mailbox_link"),
    path("api/v1/", api.urls),
]

handler400 = "undersigned.web.errors.bad_request"
handler403 = "undersigned.web.errors.forbidden"
handler404 = "undersigned.web.errors.not_found"
handler500 = "undersigned.web.errors.server_error"
