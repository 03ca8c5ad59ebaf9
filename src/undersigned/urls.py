from django.urls import include, path

from undersigned.api import api
from undersigned.letters.views import public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("accounts/", include("undersigned.accounts.urls")),
    path("manage/", include("undersigned.letters.urls_manage")),
    path("manage/letters/<slug:slug>/signatures/", include("undersigned.signing.urls_manage")),
    path("manage/letters/<slug:slug>/", include("undersigned.delivery.urls_manage")),
    path("l/<slug:slug>/", include("undersigned.letters.urls_public")),
    path("l/<slug:slug>/", include("undersigned.signing.urls")),
    path("l/<slug:slug>/log/", include("undersigned.publiclog.urls")),
    path("l/<slug:slug>/", include("undersigned.delivery.urls_public")),
    path("api/v1/", api.urls),
]

handler400 = "undersigned.letters.views.errors.bad_request"
handler403 = "undersigned.letters.views.errors.forbidden"
handler404 = "undersigned.letters.views.errors.not_found"
handler500 = "undersigned.letters.views.errors.server_error"
