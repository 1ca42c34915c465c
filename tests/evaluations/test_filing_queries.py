"""The filing pages issue a fixed number of queries, whatever the size of the evaluation: a GET
of home or of a step costs the same for 1 task × 1 row as for 10 tasks × 10 rows, and with no
answers as with every indicator answered. Counts are compared, not pinned to a number."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import services
from evaluations.forms.filing import department_inputs
from evaluations.models import Department, Evaluation

from .filing_helpers import STEPS, step_url

pytestmark = pytest.mark.django_db
D = Decimal
PAGES = ["home", *STEPS]


def _url(evaluation, page: str) -> str:
    return reverse("filing:home") if page == "home" else step_url(evaluation, page)


def _count(client, url: str) -> int:
    client.get(url)  # warm up: the session, the message storage, caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill_duty(evaluation, user, tasks: int, rows: int) -> None:
    evaluation.refresh_from_db()
    services.evaluation_save_duty(
        evaluation.pk,
        user,
        evaluation.version,
        overall_goal="目标",
        goal_completion="完成",
        goal_shortfall_reason="",
        tasks=[
            services.TaskInput(
                name=f"任务{t}",
                rows=tuple(
                    services.RowInput(
                        name=f"任务{t}指标{i}",
                        points=D("0.3"),
                        target_value=D(i),
                        actual_value=D(i + 1),
                        unit="次",
                        claimed=D("0.2") if i % 2 else None,
                        claimed_reason="理由" if i % 2 else "",
                    )
                    for i in range(1, rows + 1)
                ),
            )
            for t in range(1, tasks + 1)
        ],
    )


def _fill_everything_else(evaluation, user) -> None:
    """Every department figure, every report section, an answer for every rubric leaf."""
    evaluation.refresh_from_db()
    services.evaluation_save_figures(
        evaluation.pk,
        user,
        evaluation.version,
        values={f.key: D("100.00") for f in department_inputs(evaluation.rubric.spec)},
    )
    services.evaluation_save_sections(
        evaluation.pk,
        user,
        evaluation.version + 1,
        texts={s.key: "正文" for s in evaluation.rubric.spec.report.sections},
    )
    answers = {}
    for leaf in evaluation.rubric.spec.leaves():
        choices = {}
        if leaf.method == "checklist":
            choices = {item["key"]: item["options"][0]["key"] for item in leaf.params["items"]}
        answers[leaf.code] = services.AnswerInput(
            choices=choices, claimed=D(0), reason="按实际情况", note="备注"
        )
    services.evaluation_save_answers(evaluation.pk, user, evaluation.version + 2, answers=answers)


@pytest.fixture
def small_and_large(blank_eval, users, filer2_client):
    """Query counts per page for filer2's evaluation: 1×1 without answers, then 10×10 with
    every figure, section and answer filled."""
    user = users["filer2"]
    _fill_duty(blank_eval, user, 1, 1)
    small = {page: _count(filer2_client, _url(blank_eval, page)) for page in PAGES}
    _fill_duty(blank_eval, user, 10, 10)
    _fill_everything_else(blank_eval, user)
    blank_eval.refresh_from_db()
    assert blank_eval.tasks.count() == 10
    assert sum(t.rows.count() for t in blank_eval.tasks.all()) == 100
    assert blank_eval.answers.count() == len(blank_eval.rubric.spec.leaves())
    large = {page: _count(filer2_client, _url(blank_eval, page)) for page in PAGES}
    return small, large


def test_queries_do_not_grow_with_tasks_rows_and_answers(small_and_large):
    small, large = small_and_large
    assert large == small  # page → query count, for home and each of the six steps


def test_duty_step_queries_1x1_vs_10x10(
    blank_eval, users, filer2_client, django_assert_max_num_queries
):
    user = users["filer2"]
    url = step_url(blank_eval, "duty")
    _fill_duty(blank_eval, user, 1, 1)
    small = _count(filer2_client, url)
    _fill_duty(blank_eval, user, 10, 10)
    filer2_client.get(url)
    with django_assert_max_num_queries(small):
        response = filer2_client.get(url)
    assert response.content.decode().count('name="tasks-9-name"') == 1
    assert 'name="task-9-rows-9-name"' in response.content.decode()


def test_management_step_queries_without_and_with_answers(
    seed_eval, blank_eval, filer2_client, users
):
    url = step_url(blank_eval, "management")
    none = _count(filer2_client, url)
    _fill_everything_else(blank_eval, users["filer2"])
    assert _count(filer2_client, url) == none


def test_home_queries_do_not_grow_with_the_number_of_evaluations(
    seed_eval, blank_eval, users, filer_client
):
    """Home reviews every evaluation it lists; that must not cost a query per evaluation."""
    one = _count(filer_client, reverse("filing:home"))
    Department.objects.get(pk=blank_eval.department_id).filers.add(users["filer"])
    assert Evaluation.objects.filter(department__filers=users["filer"]).count() == 2
    assert _count(filer_client, reverse("filing:home")) == one
