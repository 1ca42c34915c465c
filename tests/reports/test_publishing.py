"""Publication: a reviewer publishes an approved evaluation; the PDF is rendered once, stored
with its SHA-256 and served as stored, also after the data changes, a reopening (admin) and a
republication. Also the draft preview and the render_pdf command.

Most tests stand the seed's real PDFs (rendered once per session) in for the renderer, so a
test costs no rendering; test_publish_stores_the_pdf_with_its_sha256 and the republication
test render for real."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from evaluations import services
from evaluations.models import EvaluationEvent, FigureValue, PublishedReport, Region, ReportSection
from evaluations.reports import ReportError
from evaluations.workflow import Status

from .pdftools import DOWNLOAD_NAME, SEED_DEPARTMENT, UNIT_NAME, flat, pdftotext_pages
from .publishing import (
    download,
    forbid_rendering,
    publish,
    publish_events,
    set_status,
    sha,
    stored,
    text_of,
)

# ---------------------------------------------------------------------------- publishing


def test_publish_stores_the_pdf_with_its_sha256(approved, users, settings):
    report = publish(approved, users["reviewer"])
    data = stored(report)
    assert data.startswith(b"%PDF-")
    assert report.sha256 == sha(data)
    assert report.size == len(data)
    assert report.published_by == users["reviewer"]
    assert report.superseded_at is None
    assert report.file.path.startswith(settings.MEDIA_ROOT)
    assert list(PublishedReport.objects.filter(evaluation=approved)) == [report]
    assert approved.status == Status.PUBLISHED
    assert approved.get_status_display() == "已公开"
    [event] = publish_events(approved)
    assert (event.actor, event.from_status, event.to_status) == (
        users["reviewer"],
        Status.APPROVED,
        Status.PUBLISHED,
    )
    text = text_of(data)
    assert UNIT_NAME in text and "97.61" in text
    assert "草稿" not in text


def test_the_stored_name_fits_its_column_for_any_department_code(approved, users, fake_render):
    """The reproduction of the PostgreSQL-only failure: the content-addressed name used to carry
    the department code and the full SHA-256 (`published/2022-<code>-<64 hex>.pdf`), longer
    than the column's 100 characters; SQLite stored it anyway, PostgreSQL refused the row."""
    department = approved.department
    department.code = "d" * department._meta.get_field("code").max_length
    department.save(update_fields=["code"])
    report = publish(approved, users["reviewer"])
    report.refresh_from_db()
    assert len(report.file.name) <= PublishedReport._meta.get_field("file").max_length
    assert report.file.name == f"published/{approved.fiscal_year.year}/{report.sha256}.pdf"
    assert report.file.storage.exists(report.file.name)


def test_publish_through_the_review_page(
    approved, users, fake_render, no_render_in_requests, django_capture_on_commit_callbacks
):
    """The request only queues the final render; the worker (here the captured on-commit
    task, run after the response) renders, stores and publishes."""
    client = Client()
    client.force_login(users["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:publish", args=[approved.pk]))
        assert fake_render == []  # nothing rendered while the request ran
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已申请公开：正在后台生成正式 PDF" in page
    assert fake_render == [(approved.pk, False)]
    approved.refresh_from_db()
    assert approved.status == Status.PUBLISHED
    assert PublishedReport.objects.filter(evaluation=approved).count() == 1
    assert (
        "已公开版本"
        in client.get(reverse("review:evaluation", args=[approved.pk])).content.decode()
    )


def test_publication_in_progress_is_shown_and_polled(approved, users, fake_render):
    """Queued (no worker yet): the page shows 正在生成公开 PDF and no second 公开 button; the
    status endpoint reports the state; the evaluation is not published meanwhile."""
    client = Client()
    client.force_login(users["reviewer"])
    client.post(reverse("review:publish", args=[approved.pk]))  # on-commit task not run
    page = client.get(reverse("review:evaluation", args=[approved.pk])).content.decode()
    assert "正在生成公开 PDF" in page
    assert 'data-testid="publish"' not in page
    status = client.get(reverse("review:publish_status", args=[approved.pk])).json()
    assert status == {
        "published": False,
        "state": "queued",
        "state_label": "排队中",
        "message": "",
    }
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED and not PublishedReport.objects.exists()
    assert fake_render == []


@pytest.mark.parametrize(
    ("who", "error"),
    [("filer", services.NotAllowed), ("filer2", services.NotFound), ("panyu", services.NotFound)],
)
def test_only_the_regions_reviewer_may_publish(approved, users, fake_render, who, error):
    if who == "panyu":  # a reviewer of another region
        user = get_user_model().objects.create_user("reviewer-panyu", password="x")
        region = Region.objects.create(
            code="panyu", name="广州市番禺区", finance_bureau="番禺区财政局"
        )
        region.reviewers.add(user)
    else:
        user = users[who]
    with pytest.raises(error):
        services.evaluation_publish(approved.pk, user)
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED
    assert not PublishedReport.objects.exists()
    assert publish_events(approved) == []
    assert fake_render == []


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.PUBLISHED]
)
def test_only_an_approved_evaluation_is_published(evaluation, users, fake_render, status):
    set_status(evaluation, status)
    with pytest.raises(services.NotAllowed, match="不能公开"):
        services.evaluation_publish(evaluation.pk, users["reviewer"])
    evaluation.refresh_from_db()
    assert evaluation.status == status
    assert not PublishedReport.objects.exists()
    assert fake_render == []


def test_a_second_publish_is_refused(approved, users, fake_render):
    publish(approved, users["reviewer"])
    with pytest.raises(services.NotAllowed):
        services.evaluation_publish(approved.pk, users["reviewer"])
    assert PublishedReport.objects.count() == 1
    assert len(publish_events(approved)) == 1


def _break_weasyprint(monkeypatch) -> None:
    def broken(self, *args, **kwargs):
        raise RuntimeError("cairo went away")

    # reports lays the document out (HTML.render) before writing it (Document.write_pdf)
    for target in ("weasyprint.HTML.render", "weasyprint.HTML.write_pdf"):
        monkeypatch.setattr(target, broken)


def _break_render_pdf(monkeypatch) -> None:
    def render(evaluation, *, draft: bool) -> bytes:
        raise ReportError("PDF 生成失败：OSError。请稍后重试或联系管理员。")

    monkeypatch.setattr("evaluations.reports.render_pdf", render)


@pytest.mark.parametrize("breaker", [_break_weasyprint, _break_render_pdf])
def test_render_failure_changes_nothing(approved, users, monkeypatch, settings, breaker):
    breaker(monkeypatch)
    with pytest.raises(services.ServiceError) as caught:
        services.evaluation_publish(approved.pk, users["reviewer"])
    message = caught.value.message
    assert message.startswith("公开未完成，自评仍为“审核通过”：PDF 生成失败：")
    assert "cairo" not in message  # the user is not shown the library's text
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED
    assert not PublishedReport.objects.exists()
    assert not EvaluationEvent.objects.filter(evaluation=approved).exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_render_failure_through_the_review_page(
    approved, users, monkeypatch, django_capture_on_commit_callbacks
):
    _break_weasyprint(monkeypatch)
    client = Client(raise_request_exception=False)
    client.force_login(users["reviewer"])
    url = reverse("review:publish", args=[approved.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("review:evaluation", args=[approved.pk]) + "#publication"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "公开未完成，自评仍为“审核通过”：PDF 生成失败：RuntimeError" in html
    assert "重新公开" in html  # the failed render can be retried
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED
    assert not PublishedReport.objects.exists()


def test_a_failed_publication_is_retried(
    approved, users, monkeypatch, django_capture_on_commit_callbacks
):
    from evaluations.models import PdfRender

    _break_render_pdf(monkeypatch)
    client = Client()
    client.force_login(users["reviewer"])
    url = reverse("review:publish", args=[approved.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert PdfRender.objects.get().state == PdfRender.State.FAILED
    # the renderer works again
    monkeypatch.setattr(
        "evaluations.reports.render_pdf", lambda evaluation, *, draft: b"%PDF-1.4 retried"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    approved.refresh_from_db()
    assert approved.status == Status.PUBLISHED
    assert PdfRender.objects.get().state == PdfRender.State.READY
    assert stored(PublishedReport.objects.get()) == b"%PDF-1.4 retried"


# ---------------------------------------------------------------------------- serving


def test_download_is_the_stored_file_every_time(approved, users, fake_render, monkeypatch):
    report = publish(approved, users["reviewer"])
    original = stored(report)
    first, body1 = download(report.pk)
    second, body2 = download(report.pk)
    for response, body in ((first, body1), (second, body2)):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Length"] == str(report.size)
        assert body == original
        assert sha(body) == report.sha256 == response["X-Content-SHA256"]
    # the data changes after publication; rendering would now fail, or give other bytes
    FigureValue.objects.filter(evaluation=approved, key="expenditure_final_total").update(
        value="1000.00"
    )
    ReportSection.objects.filter(evaluation=approved, key="problems").update(text="改过了")
    forbid_rendering(monkeypatch)
    third, body3 = download(report.pk)
    assert third.status_code == 200
    assert body3 == original
    assert sha(body3) == report.sha256
    assert fake_render == [(approved.pk, False)]


def test_download_of_a_lost_file_is_404_not_500(approved, users, fake_render):
    report = publish(approved, users["reviewer"])
    Path(report.file.path).unlink()
    response, _ = download(report.pk)
    assert response.status_code == 404
    assert download(report.pk + 1000)[0].status_code == 404


def test_download_name_is_rfc5987(approved, users, fake_render):
    report = publish(approved, users["reviewer"])
    response, _ = download(report.pk)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    match = re.search(r"filename\*=([\w-]+)''([^;]+)", disposition)
    assert match, disposition
    assert match.group(1).lower() == "utf-8"
    assert re.fullmatch(r"[A-Za-z0-9%._~!$&+^`|'()*-]+", match.group(2))  # percent-encoded
    assert unquote(match.group(2)) == DOWNLOAD_NAME


def test_public_list_without_login(approved, users, fake_render):
    report = publish(approved, users["reviewer"])
    for url in (reverse("public:list"), reverse("public:list") + "?year=2022"):
        response = Client().get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "2022年度" in html
        assert UNIT_NAME in html
        assert reverse("public:download", args=[report.pk]) in html
        assert "已被取代" not in html
    other_year = Client().get(reverse("public:list") + "?year=2021").content.decode()
    assert "本年度尚无已公开的报告" in other_year
    assert UNIT_NAME not in other_year


# ---------------------------------------------------------------------------- reopening


def test_reopen_keeps_the_published_file_as_superseded(approved, users, fake_render):
    report = publish(approved, users["reviewer"])
    original = stored(report)
    with pytest.raises(services.ServiceError, match="须填写意见"):
        services.evaluation_reopen(approved.pk, users["admin"], "  ")
    with pytest.raises(services.NotAllowed):
        services.evaluation_reopen(approved.pk, users["reviewer"], "数据有误")
    report.refresh_from_db()
    assert report.superseded_at is None
    services.evaluation_reopen(approved.pk, users["admin"], "支出决算数据有误")
    approved.refresh_from_db()
    assert approved.get_status_display() == "已退回"
    report.refresh_from_db()
    assert report.superseded_at is not None
    assert EvaluationEvent.objects.get(evaluation=approved, action="reopen").comment == (
        "支出决算数据有误"
    )
    response, body = download(report.pk)
    assert response.status_code == 200 and body == original
    html = Client().get(reverse("public:list")).content.decode()
    assert "已重新打开修改，以下为已被取代的版本" in html
    assert reverse("public:download", args=[report.pk]) in html


def test_republishing_adds_a_second_report(approved, users):
    """Real renders: the second PDF has the changed text, the first is kept as it was."""
    first = publish(approved, users["reviewer"])
    first_bytes = stored(first)
    services.evaluation_reopen(approved.pk, users["admin"], "补充问题说明")
    first.refresh_from_db()
    superseded_at = first.superseded_at
    ReportSection.objects.filter(evaluation=approved, key="problems").update(
        text="复核后补充：四是进一步规范政府采购程序。"
    )
    set_status(approved, Status.APPROVED)
    second = publish(approved, users["reviewer"])
    first.refresh_from_db()
    assert first.superseded_at == superseded_at
    assert second.superseded_at is None
    assert PublishedReport.objects.filter(evaluation=approved).count() == 2
    assert second.sha256 != first.sha256 and second.file.name != first.file.name
    assert stored(first) == first_bytes
    assert sha(stored(second)) == second.sha256
    assert "四是进一步规范政府采购程序" in text_of(stored(second))
    assert "四是进一步规范政府采购程序" not in text_of(first_bytes)
    assert len(publish_events(approved)) == 2
    html = Client().get(reverse("public:list")).content.decode()
    assert html.count(UNIT_NAME) == 1
    assert reverse("public:download", args=[second.pk]) in html
    assert "已被取代的版本" in html
    assert reverse("public:download", args=[first.pk]) in html
    assert "已重新打开修改" not in html


# ---------------------------------------------------------------------------- draft preview


@pytest.mark.parametrize("who", ["filer", "reviewer"])
def test_draft_preview(
    evaluation, users, fake_render, who, no_render_in_requests, django_capture_on_commit_callbacks
):
    """First request: a progress page (never a blank tab), the render queued for the worker;
    once stored, the PDF is served from storage, again and again without rendering."""
    client = Client()
    client.force_login(users[who])
    url = reverse("filing:draft_pdf", args=[evaluation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        waiting = client.get(url)
        assert fake_render == []
    assert waiting.status_code == 202
    assert "正在生成 PDF……" in waiting.content.decode()
    assert fake_render == [(evaluation.pk, True)]
    status = client.get(reverse("filing:draft_pdf_status", args=[evaluation.pk])).json()
    assert status["ready"] is True and status["url"] == url
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        body = b"".join(response.streaming_content)
        assert "草稿" in flat(pdftotext_pages(body)[0])
    assert fake_render == [(evaluation.pk, True)]  # served from storage: rendered once


def test_a_changed_evaluation_is_rendered_again(
    evaluation, users, fake_render, django_capture_on_commit_callbacks
):
    from evaluations.services.common import refresh_totals

    client = Client()
    client.force_login(users["filer"])
    url = reverse("filing:draft_pdf", args=[evaluation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    refresh_totals(evaluation.pk)  # what every write ends with: a new content revision
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 202
    assert client.get(url).status_code == 200
    assert fake_render == [(evaluation.pk, True), (evaluation.pk, True)]


def test_a_failed_draft_shows_the_reason_and_can_be_retried(
    evaluation, users, monkeypatch, django_capture_on_commit_callbacks
):
    _break_render_pdf(monkeypatch)
    client = Client()
    client.force_login(users["filer"])
    url = reverse("filing:draft_pdf", args=[evaluation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    failed = client.get(url)
    assert failed.status_code == 503
    html = failed.content.decode()
    assert "PDF 生成失败：OSError" in html and "重新生成" in html
    status = client.get(reverse("filing:draft_pdf_status", args=[evaluation.pk])).json()
    assert status["state"] == "failed"
    monkeypatch.setattr(
        "evaluations.reports.render_pdf", lambda evaluation, *, draft: b"%PDF-1.4 ok"
    )
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(reverse("filing:draft_pdf_retry", args=[evaluation.pk]))
    assert retried.status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 ok"


def test_a_document_over_the_size_budget_is_refused_before_rendering(
    evaluation, users, fake_render, settings, django_capture_on_commit_callbacks
):
    settings.PDF_MAX_HTML_CHARS = 1000
    client = Client()
    client.force_login(users["filer"])
    url = reverse("filing:draft_pdf", args=[evaluation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    html = client.get(url).content.decode()
    assert "报告内容过长" in html and "超出 PDF 生成上限" in html
    assert fake_render == []


def test_a_render_over_the_time_budget_is_aborted(evaluation, settings, monkeypatch):
    """In the worker's main thread (db_worker) SIGALRM stops a render past the budget."""
    import time

    from evaluations.services.renders import render_budgeted

    def slow(evaluation, *, draft):
        time.sleep(5)
        return b"%PDF-"

    monkeypatch.setattr("evaluations.reports.render_pdf", slow)
    settings.PDF_RENDER_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    with pytest.raises(ReportError, match="PDF 生成超时（超过 1 秒）"):
        render_budgeted(evaluation, draft=True)
    assert time.monotonic() - started < 3


def test_draft_preview_is_hidden_from_others(evaluation, users, fake_render):
    url = reverse("filing:draft_pdf", args=[evaluation.pk])
    client = Client()
    client.force_login(users["filer2"])
    assert client.get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert fake_render == []


# ---------------------------------------------------------------------------- the command


def test_command_writes_the_draft_of_an_unpublished_evaluation(approved, fake_render, tmp_path):
    out = tmp_path / "draft.pdf"
    call_command("render_pdf", SEED_DEPARTMENT, "2022", "-o", str(out))
    assert fake_render == [(approved.pk, True)]
    assert "草稿" in text_of(out.read_bytes())


def test_command_writes_the_stored_bytes_of_a_published_one(
    approved, users, fake_render, monkeypatch, tmp_path, capsys
):
    report = publish(approved, users["reviewer"])
    forbid_rendering(monkeypatch)
    out = tmp_path / "published.pdf"
    call_command("render_pdf", SEED_DEPARTMENT, "2022", "-o", str(out))
    assert out.read_bytes() == stored(report)
    assert report.sha256 in capsys.readouterr().out


# ---------------------------------------------------------------------------- render on save


def test_a_save_renders_the_draft_in_the_worker_so_the_preview_is_ready(
    evaluation,
    users,
    fake_render,
    settings,
    no_render_in_requests,
    django_capture_on_commit_callbacks,
):
    from evaluations.models import PdfRender

    settings.PDF_RENDER_ON_SAVE = True
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_save_sections(
            evaluation.pk, users["filer"], evaluation.version, texts={"problems": "改过了"}
        )
    evaluation.refresh_from_db()
    render = PdfRender.objects.get()
    assert (render.state, render.revision) == (PdfRender.State.READY, evaluation.revision)
    client = Client()
    client.force_login(users["filer"])
    response = client.get(reverse("filing:draft_pdf", args=[evaluation.pk]))
    assert response.status_code == 200  # no progress page: rendered after the save
    assert fake_render == [(evaluation.pk, True)]


def test_saves_in_quick_succession_render_once(
    evaluation, users, fake_render, settings, django_capture_on_commit_callbacks
):
    """Debounced: the first save's task comes after the second save and finds the content
    changed; only the latest content is rendered."""
    from evaluations.models import PdfRender
    from evaluations.services.renders import render_run

    settings.PDF_RENDER_ON_SAVE = True
    with django_capture_on_commit_callbacks(execute=False) as first:
        services.evaluation_save_sections(
            evaluation.pk, users["filer"], evaluation.version, texts={"problems": "一"}
        )
    evaluation.refresh_from_db()
    # the first save's task, created but not yet run by the worker
    stale = PdfRender.objects.create(
        evaluation=evaluation,
        kind="draft",
        revision=evaluation.revision,
        version=evaluation.version,
        rubric=evaluation.rubric,
        template_version="x",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_save_sections(
            evaluation.pk, users["filer"], evaluation.version, texts={"problems": "二"}
        )
    for callback in first:
        callback()  # late: the evaluation has changed since
    assert render_run(stale.pk) is None
    assert not PdfRender.objects.filter(pk=stale.pk).exists()
    assert fake_render == [(evaluation.pk, True)]
    assert PdfRender.objects.get().state == PdfRender.State.READY
