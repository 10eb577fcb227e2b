import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - import every view now rather than on the first request
# What is loaded by now lives as long as the process: the garbage collector's full collections
# no longer walk it, which took tens of milliseconds out of the requests they fell in.
gc.freeze()
