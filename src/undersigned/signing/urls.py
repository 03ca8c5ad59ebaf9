from django.urls import path

from undersigned.signing import views

app_name = "signing"
urlpatterns = [
    path("sign/", views.start, name="start"),
]
