"""Two 项目支出 evaluations of one department and year: each PDF is titled after its project,
the two published files differ, their download names name the project, and the public list
shows both."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from evaluations import services
from evaluations.models import Department, Evaluation, FiscalYear

from .pdftools import flat, pdftotext_pages
from .publishing import download, publish, set_status, sha

FIRST = "高标准农田建设项目"
SECOND = "农村人居环境整治项目"


@pytest.fixture
def two_projects(db):
    from evaluations.demo import seed_demo

    seed_demo(with_project=True)
    fy = FiscalYear.objects.get(region__code="demo-county", year=2023)
    department = Department.objects.get(code="demo-county-agriculture")
    services.evaluation_create_project(
        actor=get_user_model().objects.get(username="filer3"),
        department=department,
        fiscal_year=fy,
        project=SECOND,
    )
    return [Evaluation.objects.get(project=FIRST), Evaluation.objects.get(project=SECOND)]


def _filename(response) -> str:
    match = re.search(r"filename\*=[\w-]+''([^;]+)", response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    return unquote(match.group(1))


def test_two_projects_publish_distinct_pdfs_named_after_their_projects(two_projects):
    reviewer = get_user_model().objects.get(username="reviewer")
    reports = [publish(set_status(e, "approved"), reviewer) for e in two_projects]
    assert reports[0].sha256 != reports[1].sha256
    assert reports[0].file.name != reports[1].file.name
    assert [r.download_name for r in reports] == [
        f"2023年度项目支出绩效自评报告-示范县农业农村局-{FIRST}.pdf",
        f"2023年度项目支出绩效自评报告-示范县农业农村局-{SECOND}.pdf",
    ]
    for report, project in zip(reports, (FIRST, SECOND), strict=True):
        response, body = download(report.pk)
        assert response.status_code == 200 and sha(body) == report.sha256
        assert _filename(response) == report.download_name
        first_page = flat(pdftotext_pages(body)[0])
        assert f"示范县农业农村局2023年{project}绩效自评报告" in first_page
        other = SECOND if project == FIRST else FIRST
        assert other not in flat("".join(pdftotext_pages(body)))

    html = Client().get(reverse("public:list") + "?year=2023").content.decode()
    assert f"项目支出：{FIRST}" in html and f"项目支出：{SECOND}" in html
    for report in reports:
        assert reverse("public:download", args=[report.pk]) in html


def test_draft_pdf_name_includes_the_project(two_projects, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(get_user_model().objects.get(username="filer3"))
    url = reverse("filing:draft_pdf", args=[two_projects[1].pk])
    with django_capture_on_commit_callbacks(execute=True):  # the worker renders it
        assert client.get(url).status_code == 202
    response = client.get(url)
    assert response.status_code == 200
    assert _filename(response) == (
        f"2023年度项目支出绩效自评报告-示范县农业农村局-{SECOND}（草稿）.pdf"
    )
