"""Template context shared by every page."""

from django.conf import settings

from pfdo.common import low_vision


def site(request):
    return {"SITE_NAME": settings.PFDO_SITE_NAME}


def low_vision_mode(request):
    """`low_vision` (the settings) and `low_vision_classes` (for <html class>) from the cookie."""
    return low_vision.template_context(request)
