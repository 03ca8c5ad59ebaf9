"""WSGI entry point for gunicorn and waitress.

Django's own handler, with the request of common/wsgi.py (which a malformed Content-Type header
cannot turn into a 500).
"""

import os

import django

from undersigned.common.wsgi import Handler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings.main")
django.setup(set_prefix=False)
application = Handler()
