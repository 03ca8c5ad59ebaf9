from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web layer: every view, form, URL module and API router, and their templates."""

    name = "undersigned.web"
    label = "web"
