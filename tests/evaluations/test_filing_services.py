"""The filing services called directly: who may write, what may be written, the version check,
and that a refused call writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluations import services
from evaluations.models import Department, DutyTask, FigureValue, IndicatorAnswer

from .filing_helpers import snapshot

pytestmark = pytest.mark.django_db
D = Decimal


def _saves(evaluation, version):
    """One call of every save service, each changing something, as (name, call(user))."""
    pk = evaluation.pk
    return {
        "basic": lambda user: services.evaluation_save_basic(
            pk, user, version, department={"staff_actual": 99}, sections={"overview": "改"}
        ),
        "figures": lambda user: services.evaluation_save_figures(
            pk, user, version, values={"initial_budget": D("1.00")}
        ),
        "answers": lambda user: services.evaluation_save_answers(
            pk,
            user,
            version,
            answers={"1.1.1": services.AnswerInput(claimed=D("1.57"), reason="改")},
        ),
        "duty": lambda user: services.evaluation_save_duty(
            pk,
            user,
            version,
            overall_goal="改",
            goal_completion="",
            goal_shortfall_reason="",
            tasks=[services.TaskInput(name="任务", rows=(services.RowInput("指标", D(1)),))],
        ),
        "sections": lambda user: services.evaluation_save_sections(
            pk, user, version, texts={"problems": "改"}
        ),
    }


SAVES = ["basic", "figures", "answers", "duty", "sections"]


@pytest.mark.parametrize("name", SAVES)
def test_each_save_bumps_the_version_by_one(seed_eval, users, name):
    result = _saves(seed_eval, 1)[name](users["filer"])
    assert result.version == 2
    seed_eval.refresh_from_db()
    assert seed_eval.version == 2


@pytest.mark.parametrize("username", ["filer2", "reviewer", "admin"])
@pytest.mark.parametrize("name", SAVES)
def test_a_user_who_is_not_a_filer_of_the_department_gets_not_found(
    seed_eval, users, name, username
):
    before = snapshot(seed_eval)
    with pytest.raises(services.NotFound) as info:
        _saves(seed_eval, 1)[name](users[username])
    assert info.value.message == "没有找到该自评"
    assert snapshot(seed_eval) == before


@pytest.mark.parametrize("name", SAVES)
def test_an_unknown_evaluation_is_not_found(seed_eval, users, name):
    seed_eval.pk = 99999
    with pytest.raises(services.NotFound):
        _saves(seed_eval, 1)[name](users["filer"])


@pytest.mark.parametrize("name", SAVES)
def test_stale_version_carries_the_current_version(seed_eval, users, name):
    services.evaluation_save_sections(seed_eval.pk, users["filer"], 1, texts={"problems": "先"})
    services.evaluation_save_sections(seed_eval.pk, users["filer"], 2, texts={"problems": "后"})
    before = snapshot(seed_eval)
    for old in (1, 2, 4):
        with pytest.raises(services.StaleVersion) as info:
            _saves(seed_eval, old)[name](users["filer"])
        assert info.value.current == 3
        assert "已被他人修改并保存" in info.value.message
    assert snapshot(seed_eval) == before


def test_figures_refuse_a_finance_bureau_figure(seed_eval, users):
    before = snapshot(seed_eval)
    with pytest.raises(services.NotAllowed) as info:
        services.evaluation_save_figures(
            seed_eval.pk,
            users["filer"],
            1,
            values={
                "initial_budget": D("1.00"),  # allowed, but the call as a whole is refused
                "project_execution_rate_notified": D("97.50"),
            },
        )
    assert info.value.message == "“一般公共预算项目支出年度平均执行率”不由部门填报"
    assert snapshot(seed_eval) == before
    notified = FigureValue.objects.get(evaluation=seed_eval, key="project_execution_rate_notified")
    assert notified.value is None


def test_figures_refuse_an_unknown_key(seed_eval, users):
    before = snapshot(seed_eval)
    with pytest.raises(services.NotAllowed) as info:
        services.evaluation_save_figures(seed_eval.pk, users["filer"], 1, values={"bogus": D(1)})
    assert info.value.message == "“bogus”不由部门填报"
    assert snapshot(seed_eval) == before


def test_figures_create_missing_rows_and_store_none(blank_eval, users):
    services.evaluation_save_figures(
        blank_eval.pk,
        users["filer2"],
        1,
        values={"expenditure_final_total": D("12.30"), "initial_budget": None},
    )
    values = dict(FigureValue.objects.filter(evaluation=blank_eval).values_list("key", "value"))
    assert values == {"expenditure_final_total": D("12.30"), "initial_budget": None}


def test_answers_refuse_an_unknown_indicator(seed_eval, users):
    before = snapshot(seed_eval)
    with pytest.raises(services.NotAllowed) as info:
        services.evaluation_save_answers(
            seed_eval.pk,
            users["filer"],
            1,
            answers={
                "1.1.1": services.AnswerInput(claimed=D(2), reason="理由"),
                "9.9.9": services.AnswerInput(claimed=D(1)),
            },
        )
    assert info.value.message == "评分体系中没有指标 9.9.9"
    assert snapshot(seed_eval) == before


def test_answers_replace_only_the_given_indicators(seed_eval, users):
    services.evaluation_save_answers(
        seed_eval.pk,
        users["filer"],
        1,
        answers={"1.5.1": services.AnswerInput(choices={"own_funds": "yes"}, claimed=None)},
    )
    answers = {a.code: a for a in IndicatorAnswer.objects.filter(evaluation=seed_eval)}
    assert answers["1.5.1"].choices == {"own_funds": "yes"}
    assert answers["1.5.1"].claimed is None
    assert answers["1.1.1"].claimed == D(2)


def test_basic_writes_only_the_staffing_counts(seed_eval, users):
    name = seed_eval.department.name
    services.evaluation_save_basic(
        seed_eval.pk,
        users["filer"],
        1,
        department={"staff_actual": 24, "name": "改名"},
        sections={"overview": "概况"},
    )
    seed_eval.refresh_from_db()
    assert seed_eval.staff_actual == 24
    department = Department.objects.get(pk=seed_eval.department_id)
    assert department.name == name
    assert seed_eval.sections.get(key="overview").text == "概况"


def test_duty_replaces_tasks_and_rows_in_the_given_order(seed_eval, users):
    services.evaluation_save_duty(
        seed_eval.pk,
        users["filer"],
        1,
        overall_goal="目标",
        goal_completion="完成",
        goal_shortfall_reason="",
        tasks=[
            services.TaskInput(
                "乙", (services.RowInput("乙2", D(2)), services.RowInput("乙1", D(1), "<="))
            ),
            services.TaskInput("甲"),
        ],
    )
    tasks = list(DutyTask.objects.filter(evaluation=seed_eval).order_by("position"))
    assert [(t.position, t.name) for t in tasks] == [(1, "乙"), (2, "甲")]
    assert [(r.position, r.name, r.operator) for r in tasks[0].rows.order_by("position")] == [
        (1, "乙2", ">="),
        (2, "乙1", "<="),
    ]
    assert not tasks[1].rows.exists()
    seed_eval.refresh_from_db()
    assert (seed_eval.overall_goal, seed_eval.goal_completion) == ("目标", "完成")
