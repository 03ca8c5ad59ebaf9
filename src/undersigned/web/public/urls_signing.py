from django.urls import path

from undersigned.web.public import anonymous, reconfirm, withdraw
from undersigned.web.public import signing as public

app_name = "signing"
urlpatterns = [
    path("sign/", public.start, name="start"),
    path("sign/code/", public.confirm_code, name="confirm_code"),
    path("sign/invite/", public.invite, name="invite"),
    path("sign/reconfirm/<str:token>/", reconfirm.reconfirm, name="reconfirm"),
    path("sign/anonymous/", anonymous.start, name="anonymous_start"),
    path("sign/anonymous/token/", anonymous.token, name="anonymous_token"),
    path("sign/anonymous/redeem/", anonymous.redeem, name="anonymous_redeem"),
    path("sign/withdraw/", withdraw.withdraw, name="withdraw"),
    path("sign/withdraw/email/", withdraw.withdraw_email, name="withdraw_email"),
    path("sign/withdraw/code/", withdraw.withdraw_code, name="withdraw_code"),
    path("signatories/", public.signatories, name="signatories"),
]
