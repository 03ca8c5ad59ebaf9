from django.urls import path

from undersigned.delivery.views import public, updates

app_name = "delivery"
urlpatterns = [
    path("delivered.pdf", public.pdf, name="pdf"),
    path("unsubscribe/<str:token>/", updates.unsubscribe, name="unsubscribe"),
]
