"""evaluations.pagecache without the database: the threads that miss the same page at once
draw it once (the first; the others are served what it drew), and a draw that raises leaves
nothing behind."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from evaluations import pagecache


def request_for(path: str = "/page/"):
    request = RequestFactory().get(path)
    request.user = SimpleNamespace(
        pk=7,
        get_username=lambda: "reviewer",
        get_full_name=lambda: "",
        is_superuser=False,
        is_staff=False,
    )
    request.session = {}
    return request


def test_threads_missing_together_draw_the_page_once():
    drawn = []
    start = threading.Barrier(8)

    def draw() -> HttpResponse:
        drawn.append(threading.current_thread().name)
        time.sleep(0.2)  # long enough for every thread to arrive while it draws
        return HttpResponse("<p>页面</p>", content_type="text/html; charset=utf-8")

    results = []

    def look() -> None:
        start.wait()
        results.append(pagecache.serve(request_for(), ("stamp", 1), draw))

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == 1
    assert sorted(r["X-Page-Cache"] for r in results) == ["hit"] * 7 + ["miss"]
    assert {r.content for r in results} == {"<p>页面</p>".encode()}


def test_a_draw_that_raises_caches_nothing_and_releases_the_page():
    def fail() -> HttpResponse:
        raise Http404("没有找到该自评")

    with pytest.raises(Http404):
        pagecache.serve(request_for(), ("stamp", 2), fail)
    response = pagecache.serve(
        request_for(), ("stamp", 2), lambda: HttpResponse("<p>有了</p>", content_type="text/html")
    )
    assert response["X-Page-Cache"] == "miss"
