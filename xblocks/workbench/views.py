"""Development endpoints: the staff switch and the published-event log."""

from urllib.parse import urlsplit

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from .models import PublishedEvent, StaffGrant


def _safe_next(url: str) -> str:
    """Only same-site paths: the switch must not become an open redirect."""
    parts = urlsplit(url or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    return url


@require_POST
def switch_staff(request):
    """Switch staff rights on or off for a workbench student id (toolbar button)."""
    student_id = request.POST.get("student", "").strip()
    if not student_id or len(student_id) > 255:
        return HttpResponseBadRequest("Give the student id to switch, e.g. student=student_1.")
    if request.POST.get("staff") == "on":
        StaffGrant.objects.get_or_create(student_id=student_id)
    else:
        StaffGrant.objects.filter(student_id=student_id).delete()
    return redirect(_safe_next(request.POST.get("next", "/")))


@require_GET
def published_events(request):
    """Events published by blocks, newest last; `?student=` and `?event_type=` filter."""
    events = PublishedEvent.objects.all()
    if student := request.GET.get("student"):
        events = events.filter(student_id=student)
    if event_type := request.GET.get("event_type"):
        events = events.filter(event_type=event_type)
    return JsonResponse({"events": [e.as_dict() for e in events]})
