"""The whole-page cache of the pages people reload most: the review page, the filing steps,
the review dashboard and the filer's home (issue 16).

A page is cached under a key made of everything it is drawn from: the database's page stamps
of the rows it shows (evaluations.stamps: changed by triggers on every write, so a stale page
is never served), the user's roles and navigation, the user, the path with its query string
and the date (deadlines count in days). `selectors.page_key_*` read all of it in one query;
a key of None means "do not cache" (the user has no role here: the view answers as usual,
with its 404).

What differs from one request to the next is put in afterwards: the CSRF token (the cached
page holds a placeholder; each request gets its own session's token) and the seconds left in
the session (session.session_context gives a placeholder while a page is drawn for the
cache). A request with messages to show, or any method but GET, is drawn as usual and not
cached.

The cache is the "pages" alias (config/settings.py): memory of each process, bounded in
entries and in age (PAGE_CACHE_SECONDS bounds what no stamp sees, such as a user's
renamed display name on an annotation). Keys come from the data, so separate processes never
disagree; a deployment restarts the processes and so empties it (templates are not in the key).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

CSRF_PLACEHOLDER = "__page_cache_csrf_token__"
REMAINING_PLACEHOLDER = "__page_cache_session_remaining__"
DRAWING = "_page_cache_drawing"  # set on the request while a page is drawn for the cache
# What {% csrf_token %} writes, and the one template that writes {{ csrf_token }} itself.
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')
KEPT_HEADERS = ("Content-Type", "Cache-Control", "Content-Language", "Vary")
# One page is drawn once per process at a time: the threads that miss the same key together
# (a page just changed, many people looking) wait for the first one's page instead of each
# drawing it. Striped locks: two keys rarely share one, and then only take turns drawing.
_DRAWING_LOCKS = [threading.Lock() for _ in range(64)]
DRAW_WAIT_SECONDS = 10


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE_ENABLED", True))


def cache():
    return caches["pages"]


def _has_messages(request: HttpRequest) -> bool:
    return len(messages.get_messages(request)) > 0


def drawing(request: HttpRequest) -> bool:
    """Is this request drawing a page for the cache (placeholders instead of per-request
    values)?"""
    return bool(getattr(request, DRAWING, False))


def key_for(request: HttpRequest, parts: tuple) -> str:
    user = request.user
    material = repr(
        (
            request.get_full_path(),
            user.pk,
            user.get_username(),
            user.get_full_name(),
            user.is_superuser,
            user.is_staff,
            timezone.localdate().isoformat(),
            parts,
        )
    )
    return "page:" + hashlib.sha256(material.encode()).hexdigest()


def _fill(request: HttpRequest, body: str) -> str:
    from .session import remaining_seconds

    if CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, get_token(request))
    return body.replace(REMAINING_PLACEHOLDER, str(remaining_seconds(request.session)))


def serve(
    request: HttpRequest, parts: tuple | None, draw: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page from the cache under `parts` (see the module), or drawn by `draw()` and kept."""
    if parts is None or not enabled() or request.method != "GET" or _has_messages(request):
        return draw()
    key = key_for(request, parts)
    if (response := _hit(request, key)) is not None:
        return response
    lock = _DRAWING_LOCKS[hash(key) % len(_DRAWING_LOCKS)]
    # a draw that hangs (the database gone) holds up the others for this long at most
    locked = lock.acquire(timeout=DRAW_WAIT_SECONDS)
    try:
        if (response := _hit(request, key)) is not None:  # drawn while this one waited
            return response
        return _draw(request, key, draw)
    finally:
        if locked:
            lock.release()


def _hit(request: HttpRequest, key: str) -> HttpResponse | None:
    entry = cache().get(key)
    if entry is None:
        return None
    headers, body = entry
    response = HttpResponse(_fill(request, body), headers=headers)
    response["X-Page-Cache"] = "hit"
    return response


def _draw(request: HttpRequest, key: str, draw: Callable[[], HttpResponse]) -> HttpResponse:
    setattr(request, DRAWING, True)
    try:
        response = draw()
    finally:
        setattr(request, DRAWING, False)
    if (
        response.status_code != 200
        or response.streaming
        or not response.get("Content-Type", "").startswith("text/html")
        or _has_messages(request)
    ):
        if not response.streaming and REMAINING_PLACEHOLDER.encode() in response.content:
            response.content = _fill(request, response.content.decode())
        return response
    body = _CSRF_INPUT.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode())
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    cache().set(key, (headers, body))
    response.content = _fill(request, body)
    response["X-Page-Cache"] = "miss"
    return response
