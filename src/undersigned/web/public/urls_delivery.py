from django.urls import path

from undersigned.web.manage import updates
from undersigned.web.public import delivery as public

app_name = "delivery"
urlpatterns = [
    path("delivered.pdf", public.pdf, name="pdf"),
    path("unsubscribe/<str:token>/", updates.unsubscribe, name="unsubscribe"),
]
