"""Error pages in Chinese, in the site's layout: the CSRF failure view, and a middleware that
gives a 405 (which Django returns blank) its page. 400, 403, 404 and 500 are Django's own
handlers with templates/400.html … 500.html."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the page expired or cookies are off; the reason stays in the log."""
    return HttpResponse(render_to_string("403_csrf.html", request=request), status=403)


class MethodNotAllowedMiddleware:
    """A 405 without a body (django.views.decorators.http.require_POST and the like) becomes
    the 405 page; its Allow header is kept. A 405 that has a body is left as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or getattr(response, "streaming", False):
            return response
        if response.content:
            return response
        page = HttpResponse(render_to_string("405.html", request=request), status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
