"""The SDK's URLs plus our development endpoints under /cme-dev/."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from . import views

urlpatterns = [
    path("cme-dev/staff/", views.switch_staff, name="cme_switch_staff"),
    path("cme-dev/events/", views.published_events, name="cme_published_events"),
    # Files blocks store through the fs service live in var/ (settings.DJFS), not in the
    # SDK's package directory, so we serve them from there.
    re_path(
        r"^cme-dev/files/(?P<path>.*)$", serve, {"document_root": settings.DJFS["directory_root"]}
    ),
    path("", include("workbench.urls")),
]
