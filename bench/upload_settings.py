"""Settings for bench/upload.py's app server: Loket's, with the bench's URLs.

DJANGO_SETTINGS_MODULE=bench.upload_settings gunicorn config.wsgi:application
"""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.upload_urls"
# Django's multipart parser spools files here: the same disk as the rest.
FILE_UPLOAD_TEMP_DIR = os.environ.get("LOKET_BENCH_TMP") or None
