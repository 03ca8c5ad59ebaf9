from django.urls import path

from undersigned.web.manage import delivery as manage
from undersigned.web.manage import responses, updates

app_name = "delivery_manage"
urlpatterns = [
    path("delivery/", manage.status, name="status"),
    path("delivery/now/", manage.deliver_now, name="deliver_now"),
    path("delivery/resend/", manage.resend, name="resend"),
    path("responses/", responses.responses, name="responses"),
    path("updates/", updates.updates, name="updates"),
]
