from django.urls import path

from undersigned.letters.views import public

app_name = "manage"
urlpatterns = [path("", public.home, name="home")]
