from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web layer: every view, form, URL module and API router, and their templates."""

    name = "undersigned.web"
    label = "web"

    def ready(self) -> None:
        # Every app is imported by now, and with them every library that adds log handlers.
        from undersigned.common.logs import handlers_adopt

        handlers_adopt()
