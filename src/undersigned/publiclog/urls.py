app_name = "publiclog"
urlpatterns: list = []
