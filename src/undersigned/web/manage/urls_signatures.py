from django.urls import path

from undersigned.web.manage import signatures as manage

app_name = "signing_manage"
urlpatterns = [
    path("", manage.signature_list, name="list"),
    path("export.csv", manage.export, name="export"),
    path("<int:pk>/flag/", manage.flag, name="flag"),
    path("invalidate/", manage.invalidate, name="invalidate"),
    path("invites/", manage.invites, name="invites"),
]
