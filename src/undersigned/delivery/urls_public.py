from django.urls import path

from undersigned.delivery.views import public

app_name = "delivery"
urlpatterns = [
    path("delivered.pdf", public.pdf, name="pdf"),
]
