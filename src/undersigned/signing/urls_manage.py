app_name = "signing_manage"
urlpatterns: list = []
