"""The whole-page cache (evaluations.pagecache): a second look at an unchanged page is served
from memory with a flat, small query count; any write to what the page shows, by whatever
path, gives the new page; nobody gets a page they may not see; per-request values (CSRF
token, session time, messages) are never frozen into it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import pagecache, services
from evaluations.models import Evaluation, FiscalYear, PdfRender, ReviewedScore

from .conftest import client_for
from .helpers import text_of

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


def review_url(evaluation) -> str:
    return reverse("review:evaluation", args=[evaluation.pk])


def get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def without_tokens(body: bytes) -> str:
    text = TOKEN.sub("TOKEN", body.decode())
    return re.sub(r'data-remaining="\d+"', 'data-remaining="N"', text)


def assert_redrawn_after(client: Client, url: str, write) -> None:
    """The page is drawn again after `write`, and shows something else."""
    before = text_of(get(client, url).content)
    write()
    after = get(client, url)
    assert after["X-Page-Cache"] == "miss"
    assert text_of(after.content) != before


@pytest.fixture
def pages(submitted, users):
    """(label, client, url) of each cached page, for the seed evaluation once submitted."""
    fy = submitted.fiscal_year
    return [
        ("review page", client_for(users["reviewer"]), review_url(submitted)),
        (
            "dashboard",
            client_for(users["reviewer"]),
            reverse("review:dashboard", args=[fy.region.code, fy.year]),
        ),
        (
            "filing step",
            client_for(users["filer"]),
            reverse("filing:step", args=[submitted.pk, "management"]),
        ),
        ("filer's home", client_for(users["filer"]), reverse("filing:home")),
        (
            "statistics",
            client_for(users["reviewer"]),
            reverse("review:statistics", args=[fy.region.code, fy.year]),
        ),
    ]


def test_a_second_look_is_a_hit_with_the_same_page_and_three_queries(pages):
    for label, client, url in pages:
        first = get(client, url)
        assert first["X-Page-Cache"] == "miss", label
        with CaptureQueriesContext(connection) as queries:
            second = get(client, url)
        assert second["X-Page-Cache"] == "hit", label
        # the session, the user, and the one query of the key (selectors.page_key_*)
        assert len(queries) == 3, (label, [q["sql"][:80] for q in queries])
        assert without_tokens(second.content) == without_tokens(first.content), label
        body = second.content.decode()
        assert pagecache.CSRF_PLACEHOLDER not in body, label
        assert pagecache.REMAINING_PLACEHOLDER not in body, label
        assert re.search(r'data-remaining="\d+"', body), label


def test_the_cached_pages_token_is_this_sessions_and_is_accepted(submitted, users):
    """The same user in a second browser (another session, another CSRF secret): the cached
    page carries the second session's token, and a form posted with it is accepted."""
    url = review_url(submitted)
    get(client_for(users["reviewer"]), url)
    other = Client(enforce_csrf_checks=True)
    other.force_login(users["reviewer"])
    page = get(other, url)
    assert page["X-Page-Cache"] == "hit"
    tokens = set(TOKEN.findall(page.content.decode()))
    assert len(tokens) == 1, "every form of the cached page carries this request's one token"
    token = tokens.pop()
    response = other.post(
        reverse("review:annotate", args=[submitted.pk]),
        {
            "csrfmiddlewaretoken": token,
            "target": "general",
            "label": "1.1.1",
            "text": "请补充会议纪要。",
        },
    )
    assert response.status_code == 302
    assert "请补充会议纪要。" in text_of(get(other, url).content)


def test_an_annotation_reviewed_score_and_transition_each_show_at_once(submitted, users):
    reviewer = client_for(users["reviewer"])
    url = review_url(submitted)
    get(reviewer, url)
    services.annotation_add(
        submitted.pk, users["reviewer"], target="general", label="总体", text="口径需说明。"
    )
    page = get(reviewer, url)
    assert page["X-Page-Cache"] == "miss"
    assert "口径需说明。" in text_of(page.content)
    # written behind the services' back, as the admin or a data fix would
    ReviewedScore.objects.create(
        evaluation=submitted, code="1.1.2", score=Decimal("0.5"), reason="直接写入的复核分"
    )
    assert "直接写入的复核分" in text_of(get(reviewer, url).content)
    Evaluation.objects.filter(pk=submitted.pk).update(status="approved")
    assert "审核通过" in text_of(get(reviewer, url).content)


def test_the_workers_render_progress_shows_without_a_write_by_the_page(submitted, users):
    """The review page shows the publication's render while 审核通过; the worker changes the
    render row only, in another process in production."""
    Evaluation.objects.filter(pk=submitted.pk).update(status="approved")
    render = PdfRender.objects.create(
        evaluation=submitted,
        kind=PdfRender.Kind.FINAL,
        revision=1,
        version=1,
        rubric=submitted.rubric,
        template_version="t",
        publish_by=users["reviewer"],
    )
    reviewer = client_for(users["reviewer"])
    url = review_url(submitted)
    assert PdfRender.State.QUEUED.label in text_of(get(reviewer, url).content)
    PdfRender.objects.filter(pk=render.pk).update(state=PdfRender.State.FAILED, message="磁盘已满")
    assert "磁盘已满" in text_of(get(reviewer, url).content)


def last_year_of(evaluation: Evaluation, status: str) -> Evaluation:
    """The same department's evaluation of the year before, empty, in `status`."""
    fy = evaluation.fiscal_year
    last_fy = FiscalYear.objects.create(region=fy.region, year=fy.year - 1, rubric=fy.rubric)
    return Evaluation.objects.create(
        department=evaluation.department, fiscal_year=last_fy, rubric=fy.rubric, status=status
    )


def test_a_change_to_last_years_evaluation_shows_in_this_years_page(submitted, users):
    last = last_year_of(submitted, "published")
    reviewer = client_for(users["reviewer"])
    url = review_url(submitted)
    assert 'data-testid="previous-score">1.00<' not in get(reviewer, url).content.decode()
    ReviewedScore.objects.create(
        evaluation=last,
        code="1.1.5",
        score=Decimal(1),
        reason="上年复核",
        reviewer=users["reviewer"],
    )
    assert 'data-testid="previous-score">1.00<' in get(reviewer, url).content.decode()


def test_a_page_cached_for_a_reviewer_is_still_a_404_for_others(submitted, users, other_region):
    get(client_for(users["reviewer"]), review_url(submitted))
    for user in (other_region.reviewer, other_region.filer, users["filer"]):
        response = client_for(user).get(review_url(submitted))
        assert response.status_code == 404, user.username
    dashboard = reverse("review:dashboard", args=["nansha", submitted.fiscal_year.year])
    get(client_for(users["reviewer"]), dashboard)
    assert client_for(other_region.reviewer).get(dashboard).status_code == 404


def test_a_page_with_a_message_is_drawn_and_the_message_shown_once(submitted, users):
    reviewer = client_for(users["reviewer"])
    url = review_url(submitted)
    get(reviewer, url)
    response = reviewer.post(
        reverse("review:annotate", args=[submitted.pk]),
        {"target": "general", "label": "1.1.1", "text": "第二条批注。"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages, "the annotation's confirmation"
    assert messages[0] in text_of(response.content)
    again = get(reviewer, url)
    assert messages[0] not in text_of(again.content)


def test_a_filers_saved_step_shows_the_new_value(seed_eval, users):
    filer = client_for(users["filer"])
    url = reverse("filing:step", args=[seed_eval.pk, "management"])
    assert "新写的自评说明。" not in get(filer, url).content.decode()
    seed_eval.answers.filter(code="1.1.1").update(claimed_reason="新写的自评说明。")
    page = get(filer, url)
    assert page["X-Page-Cache"] == "miss"
    assert "新写的自评说明。" in page.content.decode()


def test_the_dashboard_shows_a_status_change(submitted, users):
    fy = submitted.fiscal_year
    url = reverse("review:dashboard", args=[fy.region.code, fy.year])
    assert_redrawn_after(
        client_for(users["reviewer"]),
        url,
        lambda: Evaluation.objects.filter(pk=submitted.pk).update(status="returned"),
    )


def test_the_page_cache_can_be_switched_off(submitted, users, settings):
    settings.PAGE_CACHE_ENABLED = False
    reviewer = client_for(users["reviewer"])
    get(reviewer, review_url(submitted))
    assert "X-Page-Cache" not in get(reviewer, review_url(submitted))


def test_the_statistics_follow_a_change_in_an_earlier_year(submitted, users):
    """统计分析 shows the scores over the years: a change to last year's evaluation shows."""
    fy = submitted.fiscal_year
    last = last_year_of(submitted, "draft")
    url = reverse("review:statistics", args=[fy.region.code, fy.year])
    assert_redrawn_after(
        client_for(users["reviewer"]),
        url,
        lambda: Evaluation.objects.filter(pk=last.pk).update(status="published"),
    )
