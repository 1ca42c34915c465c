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


def test_publish_through_the_review_page(approved, users, fake_render):
    client = Client()
    client.force_login(users["reviewer"])
    response = client.post(reverse("review:publish", args=[approved.pk]), follow=True)
    assert response.status_code == 200
    assert "已公开。PDF 已生成并存档" in response.content.decode()
    assert fake_render == [(approved.pk, False)]
    assert PublishedReport.objects.filter(evaluation=approved).count() == 1


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


def test_render_failure_through_the_review_page(approved, users, monkeypatch):
    _break_weasyprint(monkeypatch)
    client = Client(raise_request_exception=False)
    client.force_login(users["reviewer"])
    url = reverse("review:publish", args=[approved.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("review:evaluation", args=[approved.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "公开未完成，自评仍为“审核通过”：PDF 生成失败：RuntimeError" in page.content.decode()
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED
    assert not PublishedReport.objects.exists()


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
def test_draft_preview(evaluation, users, fake_render, who):
    client = Client()
    client.force_login(users[who])
    response = client.get(reverse("filing:draft_pdf", args=[evaluation.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert fake_render == [(evaluation.pk, True)]
    assert "草稿" in flat(pdftotext_pages(response.content)[0])


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
