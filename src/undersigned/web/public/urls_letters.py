from django.urls import path

from undersigned.web.public import letters as public

app_name = "letters"
urlpatterns = [
    path("", public.letter, name="letter"),
    path("versions/<int:number>/", public.version, name="version"),
    path("addenda/<int:addendum_id>/<str:filename>", public.addendum, name="addendum"),
]
