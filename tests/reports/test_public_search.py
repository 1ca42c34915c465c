"""The public list (issue 14 item 6): search and filter published reports by year, department
and kind, paginated; a stable address per department and year."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Department, Evaluation, FiscalYear, PublishedReport, Region


def _publish(evaluation: Evaluation, body: bytes = b"%PDF-1.4 test") -> PublishedReport:
    report = PublishedReport(
        evaluation=evaluation, sha256=hashlib.sha256(body).hexdigest(), size=len(body)
    )
    report.file.save("report.pdf", ContentFile(body), save=False)
    report.save()
    return report


@pytest.fixture
def published(seeded):
    """2022: the two seeded departments (部门整体) and a 项目支出 of the first; 2023: the first
    department's 部门整体."""
    fy = FiscalYear.objects.get(region__code="nansha", year=2022)
    fy_2023 = FiscalYear.objects.create(region=fy.region, year=2023, rubric=fy.rubric)
    seed, blank = fy.evaluations.order_by("department__code")
    project = Evaluation.objects.create(
        department=seed.department, fiscal_year=fy, rubric=fy.rubric, project="政协委员履职培训"
    )
    later = Evaluation.objects.create(
        department=seed.department, fiscal_year=fy_2023, rubric=fy.rubric
    )
    return {
        "seed": _publish(seed),
        "blank": _publish(blank),
        "project": _publish(project),
        "later": _publish(later),
    }


def _list(**params) -> str:
    response = Client().get(reverse("public:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def _links(html: str, reports: dict, *names: str) -> list[str]:
    return [n for n in names if reverse("public:download", args=[reports[n].pk]) in html]


ALL = ("seed", "blank", "project", "later")


def test_default_is_the_latest_year(published):
    assert _links(_list(), published, *ALL) == ["later"]


def test_filter_by_year_and_all_years(published):
    assert _links(_list(year=2022), published, *ALL) == ["seed", "blank", "project"]
    assert _links(_list(year="all"), published, *ALL) == list(ALL)


def test_search_by_department_text(published):
    blank = published["blank"].evaluation.department
    html = _list(year="all", q=blank.name[-3:])
    assert _links(html, published, *ALL) == ["blank"]
    assert _links(_list(year="all", q=blank.code.upper()), published, *ALL) == ["blank"]
    assert _links(_list(year="all", q="履职培训"), published, *ALL) == ["project"]
    nothing = _list(year="all", q="没有这个部门")
    assert "没有符合条件的已公开报告" in nothing and 'value="没有这个部门"' in nothing


def test_filter_by_kind(published):
    assert _links(_list(year=2022, kind="project"), published, *ALL) == ["project"]
    assert _links(_list(year=2022, kind="whole"), published, *ALL) == ["seed", "blank"]
    assert _links(_list(year=2022, kind="nonsense"), published, *ALL) == [
        "seed",
        "blank",
        "project",
    ]


def test_superseded_versions_stay_listed(published):
    old = published["seed"]
    old.superseded_at = timezone.now()
    old.save()
    html = _list(year=2022)
    assert "已重新打开修改，以下为已被取代的版本" in html
    new = _publish(old.evaluation, b"%PDF-1.4 second")
    html = _list(year=2022)
    assert "已被取代的版本" in html and "已重新打开修改" not in html
    assert reverse("public:download", args=[new.pk]) in html
    assert reverse("public:download", args=[old.pk]) in html


def test_paginated_with_the_filters_kept(seeded):
    region = Region.objects.get(code="nansha")
    fy = FiscalYear.objects.get(region=region, year=2022)
    for i in range(25):
        department = Department.objects.create(
            code=f"zz-{i:02}", name=f"分页测试局{i:02}", region=region
        )
        _publish(Evaluation.objects.create(department=department, fiscal_year=fy, rubric=fy.rubric))
    first = _list(year=2022, q="分页测试", kind="whole")
    assert first.count('data-testid="published-row"') == 20
    assert "第 1 / 2 页，共 25 份" in first
    query = "q=%E5%88%86%E9%A1%B5%E6%B5%8B%E8%AF%95"  # 分页测试
    assert f'href="?year=2022&amp;{query}&amp;kind=whole&amp;page=2"' in first
    second = _list(year=2022, q="分页测试", kind="whole", page=2)
    assert second.count('data-testid="published-row"') == 5 and "分页测试局24" in second


def test_stable_address_per_department_and_year(published):
    seed = published["seed"].evaluation
    url = reverse("public:department", args=["nansha", 2022, seed.department.code])
    assert url == f"/public/nansha/2022/{seed.department.code}/"
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("public:download", args=[published["seed"].pk])
    assert url in _list(year=2022)  # the list shows it
    # republished after a reopening: the same address, the new file
    published["seed"].superseded_at = timezone.now()
    published["seed"].save()
    assert Client().get(url).status_code == 404  # nothing current meanwhile
    new = _publish(seed, b"%PDF-1.4 v2")
    assert Client().get(url)["Location"] == reverse("public:download", args=[new.pk])
    # unknown department, year or region; and a year not published
    for args in (
        ("nansha", 2022, "nope"),
        ("nope", 2022, seed.department.code),
        ("nansha", 2021, seed.department.code),
    ):
        assert Client().get(reverse("public:department", args=args)).status_code == 404
