"""Saving each filing step through POST, as the browser sends it: the data is read back from
the rendered form, one thing is changed, and the result is checked in the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluations.models import Department, FigureValue, IndicatorAnswer, ReportSection

from .filing_helpers import EDIT_STEPS, form_data, snapshot, step_url, text_of, without_version

pytestmark = pytest.mark.django_db
D = Decimal


def save(client, evaluation, step, goto=None, **changes):
    """GET the step, change the given fields, POST it with the goto button; the response."""
    data = form_data(client.get(step_url(evaluation, step)))
    data.update(changes)
    data["goto"] = goto or step
    return client.post(step_url(evaluation, step), data)


def assert_saved(response, evaluation, goto, version):
    assert response.status_code == 302, text_of(response)[:2000]
    assert response["Location"] == step_url(evaluation, goto)
    evaluation.refresh_from_db()
    assert evaluation.version == version


@pytest.mark.parametrize("step", EDIT_STEPS)
def test_saving_an_unchanged_step_changes_only_the_version(filer_client, seed_eval, step):
    before = snapshot(seed_eval)
    response = save(filer_client, seed_eval, step)
    assert_saved(response, seed_eval, step, before["version"] + 1)
    assert without_version(snapshot(seed_eval)) == without_version(before)


def test_saved_message_is_shown_on_the_next_step(filer_client, seed_eval):
    response = save(filer_client, seed_eval, "basic", goto="figures")
    page = filer_client.get(response["Location"])
    assert "“基本情况”已保存。" in text_of(page)


# ---------------------------------------------------------------------------- each step


def test_save_basic(filer_client, seed_eval):
    response = save(
        filer_client,
        seed_eval,
        "basic",
        goto="figures",
        staff_actual="24",
        sec_overview="新的部门概况。",
    )
    assert_saved(response, seed_eval, "figures", 2)
    assert (seed_eval.staff_actual, seed_eval.staff_administrative) == (24, 26)
    assert ReportSection.objects.get(evaluation=seed_eval, key="overview").text == "新的部门概况。"
    # the latest year's numbers are also the department's current ones
    assert Department.objects.get(pk=seed_eval.department_id).staff_actual == 24
    data = form_data(filer_client.get(step_url(seed_eval, "basic")))
    assert (data["staff_actual"], data["staff_administrative"]) == ("24", "26")


def test_save_figures_with_separators_and_full_width_digits(filer_client, seed_eval):
    response = save(
        filer_client,
        seed_eval,
        "figures",
        adjusted_budget_other="1,954.07",
        initial_budget="２,９５９.４８",
        expenditure_final_project="４５７．９５万元",
    )
    assert_saved(response, seed_eval, "figures", 2)
    values = dict(FigureValue.objects.filter(evaluation=seed_eval).values_list("key", "value"))
    assert values["adjusted_budget_other"] == D("1954.07")
    assert values["initial_budget"] == D("2959.48")
    assert values["expenditure_final_project"] == D("457.95")
    assert values["expenditure_final_total"] == D("1954.07")  # untouched
    # the page shows the stored amounts with two decimals
    data = form_data(filer_client.get(step_url(seed_eval, "figures")))
    assert data["adjusted_budget_other"] == "1954.07"
    assert data["initial_budget"] == "2959.48"


def test_clearing_a_figure_stores_none(filer_client, seed_eval):
    assert_saved(
        save(filer_client, seed_eval, "figures", initial_budget=""), seed_eval, "figures", 2
    )
    assert FigureValue.objects.get(evaluation=seed_eval, key="initial_budget").value is None


def test_save_management_checklist_and_claimed_with_reason(filer_client, seed_eval):
    response = save(
        filer_client,
        seed_eval,
        "management",
        **{
            "ind-1-5-1-item_own_funds": "yes",
            "ind-1-5-1-item_duties": "no",
            "ind-1-1-1-claimed": "1.8",
            "ind-1-1-1-reason": "预算执行受疫情影响，酌情给分。",
        },
    )
    assert_saved(response, seed_eval, "management", 2)
    answers = {a.code: a for a in IndicatorAnswer.objects.filter(evaluation=seed_eval)}
    assert answers["1.5.1"].choices == {"own_funds": "yes", "duties": "no"}
    assert answers["1.5.1"].claimed == D("2.8")
    assert answers["1.1.1"].claimed == D("1.80")
    assert answers["1.1.1"].claimed_reason == "预算执行受疫情影响，酌情给分。"
    assert answers["1.1.2"].choices == {
        "duty": "yes",
        "allocation": "yes",
        "adjustment": "yes",
        "assessment": "yes",
    }
    page = filer_client.get(step_url(seed_eval, "management")).content.decode()
    assert 'data-testid="claimed-1.1.1">1.80<' in page


def test_blank_claimed_takes_the_computed_score(filer_client, seed_eval):
    save(filer_client, seed_eval, "management", **{"ind-1-1-1-claimed": ""})
    assert IndicatorAnswer.objects.get(evaluation=seed_eval, code="1.1.1").claimed is None
    page = filer_client.get(step_url(seed_eval, "management")).content.decode()
    assert 'data-testid="claimed-1.1.1">1.57<' in page


def _new_row(prefix: str, index: int, name: str, order: int, **values) -> dict[str, str]:
    row = {
        "name": name,
        "target_text": "",
        "operator": ">=",
        "target_value": "",
        "unit": "",
        "actual_text": "",
        "actual_value": "",
        "achieved": "",
        "points": "",
        "claimed": "",
        "claimed_reason": "",
        "note": "",
        "ORDER": str(order),
        **values,
    }
    return {f"{prefix}-{index}-{k}": v for k, v in row.items()}


def _management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_save_duty_add_task_add_row_delete_row_reorder_rows(filer_client, seed_eval):
    data = form_data(filer_client.get(step_url(seed_eval, "duty")))
    assert data["tasks-TOTAL_FORMS"] == "4"
    # a new task with one row
    data["tasks-TOTAL_FORMS"] = "5"
    data.update({"tasks-4-name": "任务5-新增的任务", "tasks-4-ORDER": "5"})
    data.update(_management("task-4-rows", 1, 0))
    data.update(
        _new_row(
            "task-4-rows",
            0,
            "新增任务的指标",
            1,
            target_value="10",
            actual_value="１２",
            unit="次",
            points="2",
        )
    )
    # a new row at the end of task 1
    data["task-0-rows-TOTAL_FORMS"] = "4"
    data.update(_new_row("task-0-rows", 3, "新增指标", 4, achieved="no", points="1.5"))
    # delete the first row of task 2
    data["task-1-rows-0-DELETE"] = "on"
    # swap the first two rows of task 3
    data["task-2-rows-0-ORDER"], data["task-2-rows-1-ORDER"] = "2", "1"
    data["goto"] = "duty"
    response = filer_client.post(step_url(seed_eval, "duty"), data)
    assert_saved(response, seed_eval, "duty", 2)

    tasks = list(seed_eval.tasks.order_by("position"))
    assert [t.position for t in tasks] == [1, 2, 3, 4, 5]
    assert tasks[4].name == "任务5-新增的任务"

    def names(task):
        return [r.name for r in task.rows.order_by("position")]

    assert names(tasks[0])[-1] == "新增指标"
    assert len(names(tasks[0])) == 4
    added = tasks[0].rows.get(name="新增指标")
    assert (added.position, added.achieved, added.points) == (4, False, D("1.5"))
    assert names(tasks[1]) == ["专题调研报告意见", "收集提案", "提案办复满意率"]
    assert names(tasks[2]) == [
        "邀请各民主党派和无党派人士参加各类活动",
        "召开区各民主党派、人民团体和镇街地方组负责人座谈会",
        "报送社情民意建议信息",
    ]
    new_row = tasks[4].rows.get()
    assert (new_row.target_value, new_row.actual_value, new_row.unit, new_row.points) == (
        D("10"),
        D("12"),
        "次",
        D("2"),
    )
    assert [r.position for r in tasks[2].rows.order_by("position")] == [1, 2, 3]


def test_save_duty_reorder_and_delete_tasks(filer_client, seed_eval):
    data = form_data(filer_client.get(step_url(seed_eval, "duty")))
    data["tasks-0-ORDER"], data["tasks-3-ORDER"] = "4", "1"
    data["tasks-1-DELETE"] = "on"
    data["tasks-1-name"] = ""  # a deleted task need not be valid
    data["goal_shortfall_reason"] = "无"
    data["goto"] = "report"
    assert_saved(filer_client.post(step_url(seed_eval, "duty"), data), seed_eval, "report", 2)
    names = [t.name[:3] for t in seed_eval.tasks.order_by("position")]
    assert names == ["任务4", "任务3", "任务1"]
    seed_eval.refresh_from_db()
    assert seed_eval.goal_shortfall_reason == "无"


def test_save_report(filer_client, seed_eval):
    response = save(filer_client, seed_eval, "report", goto="review", problems="  一是……  ")
    assert_saved(response, seed_eval, "review", 2)
    assert ReportSection.objects.get(evaluation=seed_eval, key="problems").text == "一是……"


def test_going_back_a_step_also_saves(filer_client, seed_eval):
    response = save(filer_client, seed_eval, "figures", goto="basic", initial_budget="1.00")
    assert_saved(response, seed_eval, "basic", 2)
    assert FigureValue.objects.get(evaluation=seed_eval, key="initial_budget").value == D("1.00")


def test_an_unknown_goto_stays_on_the_step(filer_client, seed_eval):
    response = save(filer_client, seed_eval, "report", goto="https://example.com/")
    assert_saved(response, seed_eval, "report", 2)


def test_consecutive_saves_bump_the_version_each_time(filer_client, seed_eval):
    for n, step in enumerate(EDIT_STEPS, start=2):
        assert_saved(save(filer_client, seed_eval, step, goto=step), seed_eval, step, n)
    assert seed_eval.version == 6


def test_filer2_fills_the_blank_evaluation(filer2_client, blank_eval):
    response = save(filer2_client, blank_eval, "figures", expenditure_final_total="１００")
    assert_saved(response, blank_eval, "figures", 2)
    assert (
        FigureValue.objects.get(evaluation=blank_eval, key="expenditure_final_total").value == 100
    )
