"""The admin site cannot bypass the workflow (issue 12): status, events, history, scores,
annotations, published files, figures and rows are read-only there; the one state change it
offers (reopening) is an admin action that calls the service. Departments, users, regions,
fiscal years stay editable."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from evaluations import services
from evaluations.models import (
    BulkJob,
    Department,
    DutyTask,
    Evaluation,
    EvaluationEvent,
    FiscalYear,
    ReviewedScore,
)

from .helpers import client_for


@pytest.fixture
def admin_client(world):
    return client_for(world.roles["admin"])


def change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def test_admin_cannot_move_status_from_draft_to_approved(world, admin_client):
    """The reproduction: a status dropdown moved 填报中 to 审核通过 with problems open."""
    e = world.evaluation
    assert e.status == "draft"
    page = admin_client.get(change_url(e))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    response = admin_client.post(
        change_url(e),
        {"status": "approved", "department": e.department_id, "fiscal_year": e.fiscal_year_id},
    )
    assert response.status_code == 403
    e.refresh_from_db()
    assert e.status == "draft"
    assert not e.events.exists()


def test_events_are_neither_editable_nor_deletable(world, admin_client):
    services.evaluation_submit(world.evaluation.pk, world.roles["filer"], world.evaluation.version)
    event = EvaluationEvent.objects.get(evaluation=world.evaluation)
    assert admin_client.get(change_url(event)).status_code == 200  # viewable
    assert admin_client.post(change_url(event), {"comment": "改写"}).status_code == 403
    delete = reverse("admin:evaluations_evaluationevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:evaluations_evaluationevent_changelist")
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    event.refresh_from_db()
    assert event.comment == ""
    assert (
        reverse("admin:evaluations_evaluationevent_add")
        not in admin_client.get(changelist).content.decode()
    )


@pytest.mark.parametrize("model", [EvaluationEvent, ReviewedScore, DutyTask, BulkJob, Evaluation])
def test_workflow_data_has_no_add_change_or_delete(world, model):
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = world.roles["admin"]
    model_admin = admin.site._registry[model]
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
    if model is not Evaluation:  # an evaluation is created here, then read-only
        assert not model_admin.has_add_permission(request)
    inline_admins = model_admin.get_inline_instances(request, Evaluation.objects.first())
    for inline in inline_admins:
        assert not inline.has_change_permission(request)
        assert not inline.has_delete_permission(request)


def test_bulk_jobs_are_listed_read_only(world, admin_client):
    url = reverse("admin:evaluations_bulkjob_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(change_url(world.job)).status_code == 200
    assert admin_client.post(change_url(world.job), {"state": "queued"}).status_code == 403
    world.job.refresh_from_db()
    assert world.job.state == BulkJob.State.DONE


def test_departments_users_and_years_stay_editable(world, admin_client):
    dept = world.evaluation.department
    fy = world.evaluation.fiscal_year
    user = get_user_model().objects.get(username="filer")
    for obj in (dept, fy, user, fy.region):
        assert admin_client.get(change_url(obj)).status_code == 200, obj
    response = admin_client.post(
        change_url(fy),
        {"region": fy.region_id, "year": fy.year, "rubric": fy.rubric_id, "deadline": "2023-06-30"},
    )
    assert response.status_code == 302
    assert str(FiscalYear.objects.get(pk=fy.pk).deadline) == "2023-06-30"
    assert Department.objects.filter(pk=dept.pk).exists()


def test_reopen_is_an_admin_action_through_the_service(world, admin_client, monkeypatch):
    monkeypatch.setattr(
        "evaluations.reports.render_pdf", lambda evaluation, *, draft: b"%PDF-1.4 admin"
    )
    e = world.evaluation
    Evaluation.objects.filter(pk=e.pk).update(status="approved")
    services.evaluation_publish(e.pk, world.roles["reviewer"])
    changelist = reverse("admin:evaluations_evaluation_changelist")
    body = {"action": "reopen_selected", "_selected_action": [e.pk]}
    form = admin_client.post(changelist, body)
    assert form.status_code == 200 and "重新打开的理由" in form.content.decode()
    # without a reason nothing happens
    admin_client.post(changelist, {**body, "apply": "1", "reason": ""})
    assert Evaluation.objects.get(pk=e.pk).status == "published"
    admin_client.post(changelist, {**body, "apply": "1", "reason": "数据更正"})
    e.refresh_from_db()
    assert e.status == "returned"
    event = e.events.get(action="reopen")
    assert (event.actor, event.comment) == (world.roles["admin"], "数据更正")


def test_totals_are_refreshed_after_an_admin_edit_of_a_year(world, admin_client):
    e = world.evaluation
    Evaluation.objects.filter(pk=e.pk).update(claimed_total=None, warning_count=999)
    fy = e.fiscal_year
    admin_client.post(
        change_url(fy),
        {"region": fy.region_id, "year": fy.year, "rubric": fy.rubric_id, "deadline": ""},
    )
    e.refresh_from_db()
    assert e.claimed_total is not None and e.warning_count != 999


def test_rubric_versions_are_managed_by_uploading_their_data_file(world, admin_client):
    """Rubric management stays in the admin: a new version is uploaded (validated as by
    `manage.py load_rubric`); a loaded version is read-only and cannot be deleted."""
    import yaml
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluations.models import RubricVersion
    from rubric import loader

    add = reverse("admin:evaluations_rubricversion_add")
    shipped = loader.shipped_versions()[0].read_text(encoding="utf-8")
    content = yaml.safe_load(shipped)
    content["key"] = content["key"] + "-rev2"
    content["title"] = content["title"] + "（修订）"

    def upload(text: str):
        file = SimpleUploadedFile("rubric.yaml", text.encode(), "application/x-yaml")
        return admin_client.post(add, {"upload": file})

    before = RubricVersion.objects.count()
    broken = dict(content, year="二〇二二")
    response = upload(yaml.safe_dump(broken, allow_unicode=True))
    assert response.status_code == 200 and "year: 应为整数" in response.content.decode()
    same = upload(shipped)
    assert same.status_code == 200 and "已载入" in same.content.decode()
    assert RubricVersion.objects.count() == before

    response = upload(yaml.safe_dump(content, allow_unicode=True))
    assert response.status_code == 302
    version = RubricVersion.objects.get(key=content["key"])
    assert version.title == content["title"] and version.sha256 == loader.digest(version.content)

    page = admin_client.get(change_url(version))
    assert page.status_code == 200 and 'name="key"' not in page.content.decode()
    delete = reverse("admin:evaluations_rubricversion_delete", args=[version.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert RubricVersion.objects.filter(pk=version.pk).exists()
