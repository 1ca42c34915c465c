"""Bulk actions on the 审核工作台: 退回 / 审核通过 / 导出 the selected rows (or all matching the
filter), each row through the same service as one at a time, in its own transaction: rows the
service refuses are listed with its Chinese message, and the others are done all the same."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import access
from evaluations.models import Evaluation, EvaluationEvent, FiscalYear

from .conftest import client_for
from .helpers import fingerprint, set_status, text_of


@pytest.fixture
def fy(seeded) -> FiscalYear:
    return FiscalYear.objects.select_related("region").get(region__code="nansha", year=2022)


def bulk_url(fy: FiscalYear) -> str:
    return reverse("review:bulk", args=[fy.region.code, fy.year])


def refusal_message(evaluation: Evaluation, user, action: str) -> str:
    evaluation.refresh_from_db()
    return access.refusal(evaluation, access.access_for(user, evaluation).roles, action).message


def test_bulk_approve_does_the_allowed_rows_and_says_why_not_for_the_others(
    fy, submitted, blank_eval, users, reviewer_client
):
    expected = refusal_message(blank_eval, users["reviewer"], "approve")
    before = fingerprint(blank_eval)
    response = reviewer_client.post(
        bulk_url(fy),
        {"action": "approve", "ids": [blank_eval.pk, submitted.pk], "comment": "同意。"},
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == "approved"
    assert EvaluationEvent.objects.filter(
        evaluation=submitted, action="approve", comment="同意。"
    ).exists()
    # the refused row (a draft, listed first) is left exactly as it was
    assert fingerprint(blank_eval) == before
    text = text_of(response.content)
    assert "共 2 份：1 份已审核通过，1 份未能审核通过" in text
    refused = [o for o in response.context["refused"]]
    assert [(o.evaluation_id, o.message) for o in refused] == [(blank_eval.pk, expected)]
    assert expected in text and blank_eval.department.name in text
    assert [o.evaluation_id for o in response.context["done"]] == [submitted.pk]


def test_bulk_return_needs_one_comment_and_keeps_the_selection(
    fy, submitted, blank_eval, reviewer_client
):
    before = fingerprint(submitted)
    response = reviewer_client.post(
        bulk_url(fy), {"action": "return", "ids": [submitted.pk, blank_eval.pk], "comment": " "}
    )
    assert response.status_code == 400
    assert fingerprint(submitted) == before
    body = response.content.decode()
    assert "批量退回须填写退回意见" in text_of(body)
    for pk in (submitted.pk, blank_eval.pk):
        assert f'name="ids" value="{pk}"' in body
    assert 'value="return"' in body


def test_bulk_return_applies_the_comment_to_each_row(
    fy, submitted, blank_eval, users, reviewer_client
):
    last = FiscalYear.objects.create(region=fy.region, year=2021, rubric=fy.rubric)
    other = Evaluation.objects.create(
        department=submitted.department, fiscal_year=last, rubric=fy.rubric, status="submitted"
    )
    response = reviewer_client.post(
        bulk_url(fy),
        {
            "action": "return",
            "ids": [submitted.pk, blank_eval.pk, other.pk],
            "comment": "请补充佐证材料。",
        },
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == "returned"
    event = EvaluationEvent.objects.get(evaluation=submitted, action="return")
    assert event.comment == "请补充佐证材料。"
    refused = {o.evaluation_id: o.message for o in response.context["refused"]}
    # another year's (or region's) evaluation is not touched through this year's dashboard
    assert refused[other.pk] == "本年度没有这份自评。"
    assert blank_eval.pk in refused
    assert not EvaluationEvent.objects.filter(evaluation=other, action="return").exists()


def test_all_matching_the_filter(fy, submitted, blank_eval, reviewer_client):
    response = reviewer_client.post(
        bulk_url(fy),
        {"action": "approve", "scope": "filter", "status": "submitted", "q": ""},
    )
    assert response.status_code == 200
    assert [o.evaluation_id for o in response.context["done"]] == [submitted.pk]
    assert response.context["refused"] == []
    blank_eval.refresh_from_db()
    assert blank_eval.status == "draft"


def test_export_only_the_selection(fy, seed_eval, blank_eval, reviewer_client):
    response = reviewer_client.post(bulk_url(fy), {"action": "export", "ids": [blank_eval.pk]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    codes = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert codes == [blank_eval.department.code]


def test_nothing_selected_is_a_message(fy, reviewer_client):
    response = reviewer_client.post(bulk_url(fy), {"action": "approve"}, follow=True)
    assert "请先勾选要操作的自评。" in text_of(response.content)


def test_other_regions_reviewer_gets_404(fy, submitted, users):
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user("panyu-reviewer-x", password="x")
    response = client_for(stranger).post(bulk_url(fy), {"action": "approve", "ids": [submitted.pk]})
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_dashboard_offers_the_selection(fy, submitted, reviewer_client):
    set_status(submitted, "submitted")
    body = reviewer_client.get(reverse("review:dashboard", args=["nansha", 2022])).content.decode()
    assert f'name="ids" value="{submitted.pk}" form="bulk-form"' in body
    assert "data-bulk-all" in body and 'name="scope" value="filter"' in body
    for action in ("return", "approve", "export"):
        assert f'name="action" value="{action}"' in body


def test_odd_ids_are_no_selection(fy, submitted, reviewer_client):
    response = reviewer_client.post(
        bulk_url(fy),
        {"action": "approve", "ids": ["99999999999999999999999", "x", "-1", "１"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "请先勾选要操作的自评。" in text_of(response.content)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_unknown_action_is_a_message(fy, submitted, reviewer_client):
    response = reviewer_client.post(
        bulk_url(fy), {"action": "delete", "ids": [submitted.pk]}, follow=True
    )
    assert "请选择批量操作" in text_of(response.content)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
