"""The project's URLs and a bare view, under the same middleware (see pages_settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from undersigned.web import urls as site


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal", minimal), path("", include(site))]

handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
