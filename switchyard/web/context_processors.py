"""Values every page's template sees."""

from django.conf import settings


def demo_mode(request) -> dict[str, bool]:
    """Whether this is the demo, against local fake remotes (``dev.py serve``)."""
    return {"demo_mode": settings.DEMO}
