"""The production settings, plus one URL: the bare view `bench/pages.py` compares pages with.

Used only by the bench (DJANGO_SETTINGS_MODULE=pages_settings, with bench/ on the path); the
project's own URL configuration never has this view.
"""

from undersigned.settings.main import *  # noqa: F403 -- the same settings, exactly

ROOT_URLCONF = "pages_urls"
