from django.apps import AppConfig


class CampaignConfig(AppConfig):
    """The workflows that span apps (no models): letters' lives, amendments, jobs, the worker."""

    name = "undersigned.campaign"
    label = "campaign"
