"""The reviewers' 审核工作台: a fixed number of queries whatever the number of departments,
counts, filter, search, sort, paging, the .xlsx and CSV exports, the overdue flag, and who
may see it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from evaluations.models import Department, Evaluation, FiscalYear
from evaluations.views.review import EXPORT_HEADERS, PAGE_SIZE

from .conftest import client_for
from .helpers import SEED_DEPARTMENT, set_status, text_of

STATUSES = ("draft", "submitted", "returned", "approved", "published")
ROW = re.compile(
    # (an optional first cell: the row's selection checkbox, for 催办)
    r'data-testid="dashboard-row">\s*(?:<td><input [^>]*></td>\s*)?'
    r'<td><div class="fw-semibold">(?P<name>.*?)</div>'
    r'<div class="small text-muted">(?P<code>.*?)</div></td>\s*<td>(?P<status>.*?)</td>',
    re.S,
)


@pytest.fixture
def fy(seeded) -> FiscalYear:
    return FiscalYear.objects.select_related("region", "rubric").get(
        region__code="nansha", year=2022
    )


def url(fy: FiscalYear, **params) -> str:
    base = reverse("review:dashboard", args=[fy.region.code, fy.year])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}?{query}" if query else base


def populate(fy: FiscalYear, count: int, start: int = 0) -> list[Evaluation]:
    """`count` more departments with an evaluation each, in bulk: statuses in turn, claimed
    totals spread over 0–99.xx, numbered from `start`."""
    Department.objects.bulk_create(
        Department(code=f"bulk-{i:04d}", name=f"批量测试单位{i:04d}", region=fy.region)
        for i in range(start, start + count)
    )
    departments = Department.objects.filter(
        code__in=[f"bulk-{i:04d}" for i in range(start, start + count)]
    )
    Evaluation.objects.bulk_create(
        Evaluation(
            department=d,
            fiscal_year=fy,
            rubric=fy.rubric,
            status=STATUSES[int(d.code[-4:]) % len(STATUSES)],
            claimed_total=Decimal(int(d.code[-4:]) * 37 % 10000) / 100,
            warning_count=int(d.code[-4:]) % 7,
        )
        for d in departments
    )
    return list(Evaluation.objects.filter(department__in=departments))


def rows(response) -> list[dict]:
    assert response.status_code == 200
    return [m.groupdict() for m in ROW.finditer(response.content.decode())]


def count_of(response, key: str) -> int:
    m = re.search(rf'data-testid="count-{key}">(\d+)<', response.content.decode())
    assert m, key
    return int(m.group(1))


def queries(client, path: str) -> int:
    client.get(path)  # warm-up: sessions, content types, template caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# ---------------------------------------------------------------------------- query count


VIEWS = [
    {},
    {"status": "submitted"},
    {"q": "批量", "sort": "-claimed"},
    {"sort": "-warnings", "page": "2"},
    {"export": "xlsx"},
    {"export": "csv"},
]


def test_query_count_does_not_grow_with_the_number_of_departments(fy, reviewer_client):
    populate(fy, 10)
    small = [queries(reviewer_client, url(fy, **p)) for p in VIEWS]
    populate(fy, 990, start=10)
    assert Evaluation.objects.filter(fiscal_year=fy).count() == 1002
    large = [queries(reviewer_client, url(fy, **p)) for p in VIEWS]
    assert large == small, list(zip(VIEWS, small, large, strict=True))


# ---------------------------------------------------------------------------- the table


def test_counts_per_status(fy, reviewer_client):
    populate(fy, 23)
    response = reviewer_client.get(url(fy))
    expected = {s: sum(1 for i in range(23) if STATUSES[i % 5] == s) for s in STATUSES}
    expected["draft"] += 2  # the two seeded evaluations
    for status, n in expected.items():
        assert count_of(response, status) == n, status
    assert count_of(response, "all") == 25
    # the counts stay those of the whole year when a filter is applied
    filtered = reviewer_client.get(url(fy, status="approved"))
    assert count_of(filtered, "draft") == expected["draft"]


@pytest.mark.parametrize("status", STATUSES)
def test_filter_by_status(fy, reviewer_client, status):
    populate(fy, 23)
    found = rows(reviewer_client.get(url(fy, status=status)))
    labels = dict(Evaluation._meta.get_field("status").choices)
    expected = Evaluation.objects.filter(fiscal_year=fy, status=status).count()
    assert len(found) == expected > 0
    assert all(labels[status] in r["status"] for r in found)


def test_unknown_status_filter_shows_everything(fy, reviewer_client):
    populate(fy, 8)
    assert len(rows(reviewer_client.get(url(fy, status="bogus")))) == 10


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("批量测试单位0007", ["bulk-0007"]),
        ("政治协商", [SEED_DEPARTMENT]),  # part of the name
        ("政协广州", [SEED_DEPARTMENT]),  # part of the short name only
        ("BULK-001", [f"bulk-{i:04d}" for i in range(10, 20)]),  # the code, any case
        ("没有这个部门", []),
    ],
)
def test_search_by_name_short_name_or_code(fy, reviewer_client, query, codes):
    populate(fy, 30)
    response = reviewer_client.get(url(fy, q=query))
    assert [r["code"] for r in rows(response)] == codes
    if not codes:
        assert "没有符合条件的部门" in text_of(response.content)


@pytest.mark.parametrize("sort", ["claimed", "-claimed"])
def test_sort_by_claimed_total(fy, reviewer_client, sort):
    populate(fy, 40)
    found = rows(reviewer_client.get(url(fy, sort=sort, q="批量")))
    totals = dict(
        Evaluation.objects.filter(fiscal_year=fy).values_list("department__code", "claimed_total")
    )
    shown = [totals[r["code"]] for r in found]
    assert len(shown) == 40
    assert shown == sorted(shown, reverse=sort.startswith("-"))


def _sort_with_blanks(fy):
    """Three evaluations that were never submitted or reviewed (blank 提交时间 and 复核总分),
    one submitted yesterday and one submitted today and reviewed."""
    evaluations = populate(fy, 5)
    now = timezone.now()
    first, second = evaluations[0], evaluations[1]
    Evaluation.objects.filter(pk=first.pk).update(
        status="submitted", submitted_at=now - timedelta(days=1)
    )
    Evaluation.objects.filter(pk=second.pk).update(
        status="submitted", submitted_at=now, reviewed_total=Decimal("88.00")
    )
    Evaluation.objects.filter(pk__in=[e.pk for e in evaluations[2:]]).update(
        submitted_at=None, reviewed_total=None
    )
    return first.department.code, second.department.code


@pytest.mark.parametrize("sort", ["-submitted", "-reviewed"])
def test_descending_sort_puts_blanks_last(fy, reviewer_client, sort):
    """The header's first click sorts descending: the real values must come first on both
    databases (PostgreSQL sorts NULLs first in DESC unless told otherwise; fixed with
    nulls_last in selectors.DASHBOARD_SORTS while these tests were written)."""
    yesterday, today = _sort_with_blanks(fy)
    found = [r["code"] for r in rows(reviewer_client.get(url(fy, sort=sort, q="批量")))]
    expected = [today, yesterday] if sort == "-submitted" else [today]
    assert found[: len(expected)] == expected


def test_paging_fifty_per_page(fy, reviewer_client):
    populate(fy, 1000)
    total = 1002
    pages = -(-total // PAGE_SIZE)
    first = reviewer_client.get(url(fy))
    assert len(rows(first)) == PAGE_SIZE == 50
    assert f"第 1 / {pages} 页，共 {total} 个部门" in text_of(first.content)
    second = rows(reviewer_client.get(url(fy, page=2)))
    assert len(second) == 50
    assert not {r["code"] for r in second} & {r["code"] for r in rows(first)}
    last = rows(reviewer_client.get(url(fy, page=pages)))
    assert len(last) == total - (pages - 1) * PAGE_SIZE
    # every department appears on exactly one page
    seen = []
    for number in range(1, pages + 1):
        seen += [r["code"] for r in rows(reviewer_client.get(url(fy, page=number)))]
    assert len(seen) == len(set(seen)) == total
    # out-of-range and garbage page numbers do not fail
    assert rows(reviewer_client.get(url(fy, page=999))) == last
    assert rows(reviewer_client.get(url(fy, page="abc"))) == rows(first)


def test_paging_keeps_the_filter(fy, reviewer_client):
    populate(fy, 300)
    response = reviewer_client.get(url(fy, status="submitted", q="批量"))
    html = response.content.decode()
    assert "page=2" in html
    link = re.search(r'href="(\?[^"]*page=2)"', html).group(1).replace("&amp;", "&")
    assert "status=submitted" in link and "q=" in link
    second = rows(reviewer_client.get(url(fy) + link))
    assert len(second) == 10  # 60 submitted: 50 + 10
    assert all("已提交" in r["status"] for r in second)


# ---------------------------------------------------------------------------- exports


def test_xlsx_export(fy, reviewer_client):
    populate(fy, 60)
    response = reviewer_client.get(url(fy, export="xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(table[0]) == EXPORT_HEADERS
    assert len(table) == 1 + 62  # not paged: every department of the year
    codes = [r[0] for r in table[1:]]
    assert sorted(codes) == sorted(
        Evaluation.objects.filter(fiscal_year=fy).values_list("department__code", flat=True)
    )
    seed = next(r for r in table[1:] if r[0] == SEED_DEPARTMENT)
    assert seed[1] == "中国人民政治协商会议广州市南沙区委员会办公室"
    assert seed[2] == "填报中"
    assert seed[5] == pytest.approx(97.61)


def test_xlsx_export_follows_the_filter(fy, reviewer_client):
    populate(fy, 60)
    response = reviewer_client.get(url(fy, export="xlsx", status="approved"))
    table = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert len(table) == 1 + 12
    assert {r[2] for r in table[1:]} == {"审核通过"}


def test_csv_export(fy, reviewer_client):
    populate(fy, 20)
    response = reviewer_client.get(url(fy, export="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel on Chinese Windows
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(table[0]) == EXPORT_HEADERS
    assert table[0][:3] == ["单位编码", "单位名称", "状态"]
    assert len(table) == 1 + 22
    seed = next(r for r in table[1:] if r[0] == SEED_DEPARTMENT)
    assert seed[2] == "填报中"
    assert seed[5] == "97.61"


# ---------------------------------------------------------------------------- overdue


def _overdue_codes(response) -> set[str]:
    return {r["code"] for r in rows(response) if "逾期" in r["status"]}


def test_overdue_flag_for_a_draft_past_its_deadline(fy, reviewer_client, submitted):
    assert fy.deadline < timezone.localdate()  # 2023-06-30
    blank = Evaluation.objects.get(department__code="nansha-demo-bureau")
    set_status(blank, "returned")
    response = reviewer_client.get(url(fy))
    # the draft (returned) one is overdue, the submitted one is not
    assert _overdue_codes(response) == {"nansha-demo-bureau"}
    table = list(
        load_workbook(io.BytesIO(reviewer_client.get(url(fy, export="xlsx")).content))
        .worksheets[0]
        .values
    )
    flags = {r[0]: r[10] for r in table[1:]}
    assert flags["nansha-demo-bureau"] == "是"
    assert flags[SEED_DEPARTMENT] in ("", None)


def test_no_overdue_flag_before_the_deadline(fy, reviewer_client):
    FiscalYear.objects.filter(pk=fy.pk).update(deadline=timezone.localdate() + timedelta(days=1))
    assert _overdue_codes(reviewer_client.get(url(fy))) == set()
    FiscalYear.objects.filter(pk=fy.pk).update(deadline=timezone.localdate())
    assert _overdue_codes(reviewer_client.get(url(fy))) == set()  # due today: not yet late
    FiscalYear.objects.filter(pk=fy.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    assert len(_overdue_codes(reviewer_client.get(url(fy)))) == 2


# ---------------------------------------------------------------------------- who may see it


def test_filer_gets_404(fy, filer_client, seed_eval):
    assert filer_client.get(url(fy)).status_code == 404
    assert filer_client.get(url(fy, export="xlsx")).status_code == 404
    assert filer_client.get(reverse("review:home")).status_code == 404
    assert filer_client.get(reverse("review:import", args=["nansha", 2022])).status_code == 404
    assert filer_client.get(reverse("review:evaluation", args=[seed_eval.pk])).status_code == 404


def test_anonymous_user_is_sent_to_login(fy, client):
    response = client.get(url(fy))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reviewer_of_another_region_gets_404(fy, submitted, other_region):
    client = client_for(other_region.reviewer)
    pk = submitted.pk
    for path in (
        url(fy),
        url(fy, export="csv"),
        reverse("review:import", args=["nansha", 2022]),
        reverse("review:evaluation", args=[pk]),
        reverse("filing:history", args=[pk]),
        reverse("filing:step", args=[pk, "review"]),
    ):
        assert client.get(path).status_code == 404, path
    posts = {
        reverse("review:reviewed", args=[pk]): {"code": "1.1.1", "score": "1", "reason": "x"},
        reverse("review:annotate", args=[pk]): {"target": "general", "text": "x"},
        reverse("review:notified", args=[pk]): {"rate": "90"},
        reverse("review:transition", args=[pk, "approve"]): {},
        reverse("review:transition", args=[pk, "return"]): {"comment": "x"},
    }
    for path, data in posts.items():
        assert client.post(path, data).status_code == 404, path
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert not submitted.annotations.exists() and not submitted.reviewed_scores.exists()
    # and their own region's dashboard does not list this region's departments
    own = client.get(reverse("review:dashboard", args=["panyu", 2022]))
    assert [r["code"] for r in rows(own)] == ["panyu-demo-office"]


def test_reviewer_home_redirects_to_their_dashboard(fy, reviewer_client):
    response = reviewer_client.get(reverse("review:home"))
    assert response.status_code == 302
    assert response["Location"] == url(fy)


@pytest.mark.parametrize("sort", ["submitted", "reviewed", "claimed"])
def test_ascending_sort_puts_blanks_last_too(fy, reviewer_client, sort):
    yesterday, today = _sort_with_blanks(fy)
    Evaluation.objects.filter(department__code__startswith="bulk-").exclude(
        department__code__in=[yesterday, today]
    ).update(claimed_total=None)
    found = [r["code"] for r in rows(reviewer_client.get(url(fy, sort=sort, q="批量")))]
    assert set(found[-3:]).isdisjoint({yesterday, today})


def test_stored_counts_follow_an_evidence_upload_and_delete(seed_eval, users, tmp_path, settings):
    """The dashboard's stored warning count includes 「须提供佐证材料，尚未上传」: attaching the
    file (or deleting it) refreshes it, as every other input of the totals does."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluations import services
    from evaluations.selectors import evaluations_for_scoring
    from evaluations.services.common import refresh_totals
    from evaluations.submission import review

    from ..security.helpers import pdf_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    refresh_totals(seed_eval.pk)
    before = Evaluation.objects.get(pk=seed_eval.pk).warning_count
    missing = [
        p
        for p in review(evaluations_for_scoring().get(pk=seed_eval.pk)).warnings
        if "须提供佐证材料" in p.message
    ]
    assert missing, "the seed lacks some required 佐证材料"
    code = missing[0].indicator.split()[0]
    evidence = services.evidence_upload(
        seed_eval.pk,
        users["filer"],
        indicator_code=code,
        upload=SimpleUploadedFile("佐证.pdf", pdf_bytes("dashboard"), "application/pdf"),
    )
    assert Evaluation.objects.get(pk=seed_eval.pk).warning_count == before - 1
    services.evidence_delete(seed_eval.pk, evidence.pk, users["filer"])
    assert Evaluation.objects.get(pk=seed_eval.pk).warning_count == before
