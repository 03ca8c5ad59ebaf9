from django.apps import AppConfig


class PublicLogConfig(AppConfig):
    name = "undersigned.publiclog"
    label = "publiclog"
    default_auto_field = "django.db.models.BigAutoField"
