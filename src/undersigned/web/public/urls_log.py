from django.urls import path

from undersigned.web.public import log as views

app_name = "publiclog"
urlpatterns = [
    path("", views.page, name="page"),
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("vkey", views.vkey, name="vkey"),
    path("tile/<path:path>", views.tile, name="tile"),
]
