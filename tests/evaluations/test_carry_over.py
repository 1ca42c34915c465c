"""从上一年度复制 (issue 13, fewer clicks): last year's 基本情况 and targets into this year's
evaluation, through the steps' own save services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Evaluation, FiscalYear

from .filing_helpers import step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def next_year(seed_eval):
    year = FiscalYear.objects.create(
        region=seed_eval.fiscal_year.region, year=2023, rubric=seed_eval.rubric
    )
    return Evaluation.objects.create(
        department=seed_eval.department, fiscal_year=year, rubric=seed_eval.rubric
    )


def test_basic_and_targets_are_copied_without_last_years_results(seed_eval, next_year, users):
    filer = users["filer"]
    services.evaluation_copy_previous(next_year.pk, filer, next_year.version, step="basic")
    next_year.refresh_from_db()
    assert next_year.staff_actual == seed_eval.staff_actual
    basic = {s.key for s in seed_eval.rubric.spec.report.sections if s.step == "basic"}
    old = {s.key: s.text for s in seed_eval.sections.all() if s.key in basic and s.text}
    new = {s.key: s.text for s in next_year.sections.all()}
    assert old and new == old
    assert not next_year.sections.exclude(key__in=basic).exists()  # the report is this year's

    services.evaluation_copy_previous(next_year.pk, filer, next_year.version, step="duty")
    next_year.refresh_from_db()
    assert next_year.overall_goal == seed_eval.overall_goal and next_year.goal_completion == ""
    old_rows = [
        (t.name, r.name, r.target_text, r.points)
        for t in seed_eval.tasks.all()
        for r in t.rows.all()
    ]
    new_rows = [
        (t.name, r.name, r.target_text, r.points, r.actual_text, r.achieved, r.claimed)
        for t in next_year.tasks.order_by("position")
        for r in t.rows.order_by("position")
    ]
    assert [row[:4] for row in new_rows] == old_rows and len(old_rows) == 13
    assert {row[4:] for row in new_rows} == {("", None, None)}  # no actuals, ticks, scores
    assert next_year.field_changes.exists()  # an ordinary save: the history records it

    # never over a year's own tasks
    with pytest.raises(services.ServiceError, match="本年度已填写任务"):
        services.evaluation_copy_previous(next_year.pk, filer, next_year.version, step="duty")


def test_the_button_is_offered_only_where_last_year_exists(
    filer_client, seed_eval, next_year, users
):
    html = filer_client.get(step_url(next_year, "basic")).content.decode()
    assert 'data-testid="copy-previous"' in html and "从2022年度复制" in html
    assert (
        'data-testid="copy-previous"'
        in filer_client.get(step_url(next_year, "duty")).content.decode()
    )
    assert (
        'data-testid="copy-previous"'
        not in filer_client.get(step_url(next_year, "figures")).content.decode()
    )
    assert (
        'data-testid="copy-previous"'
        not in filer_client.get(step_url(seed_eval, "basic")).content.decode()
    )

    url = reverse("filing:copy_previous", args=[next_year.pk, "duty"])
    response = filer_client.post(url, {"version": next_year.version}, follow=True)
    assert "已从上一年度复制绩效目标和指标（实际完成值请按本年度填写）。" in [
        str(m) for m in response.context["messages"]
    ]
    assert next_year.tasks.count() == 4
    duty_page = filer_client.get(step_url(next_year, "duty")).content.decode()
    assert 'data-testid="copy-previous"' not in duty_page  # nothing left to offer
    # a stale version is refused like any save
    response = filer_client.post(
        reverse("filing:copy_previous", args=[next_year.pk, "basic"]), {"version": "1"}, follow=True
    )
    assert any("已被他人修改" in str(m) for m in response.context["messages"])
    # another department's filer: not found
    other = filer_client.__class__()
    other.force_login(users["filer2"])
    assert other.post(url, {"version": "1"}).status_code == 404
