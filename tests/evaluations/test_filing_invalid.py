"""Refused saves: invalid input, and a save over someone else's newer save (stale version).
In both, the page comes back with what the user typed, and nothing is written."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from evaluations import services

from .filing_helpers import (
    error_summary,
    field_error,
    form_data,
    input_value,
    snapshot,
    step_url,
    text_of,
)

pytestmark = pytest.mark.django_db
D = Decimal
NOT_SAVED = "有输入需要更正，内容尚未保存。请按页面上方的提示修改。"


def post_changed(client, evaluation, step, **changes):
    data = form_data(client.get(step_url(evaluation, step)))
    data.update(changes)
    data.setdefault("goto", step)
    return client.post(step_url(evaluation, step), data)


def textarea_value(response, name: str) -> str:
    m = re.search(
        rf'<textarea name="{re.escape(name)}"[^>]*>(.*?)</textarea>',
        response.content.decode(),
        re.S,
    )
    assert m, name
    return m.group(1).strip()


def assert_refused(response, before, evaluation, errors: int):
    assert response.status_code == 200
    summary = error_summary(response)
    assert summary is not None, "an error summary with role=alert"
    assert f"有 {errors} 处输入需要更正" in summary
    assert NOT_SAVED in text_of(response)
    assert snapshot(evaluation) == before  # version included


# ---------------------------------------------------------------------------- invalid input


def test_invalid_figures(filer_client, seed_eval):
    before = snapshot(seed_eval)
    typed = {
        "initial_budget": "12,34",
        "expenditure_final_total": "1.234",
        "adjusted_budget_basic": "-5",
        "adjusted_budget_total": "1,999.00",  # valid, but not saved either
        "procurement_actual": "１.２１",
    }
    response = post_changed(filer_client, seed_eval, "figures", **typed)
    assert_refused(response, before, seed_eval, errors=3)
    messages = {
        "initial_budget": "请输入有效的金额（万元）：千位分隔符的位置不对",
        "expenditure_final_total": "金额（万元）最多保留2位小数",
        "adjusted_budget_basic": "金额（万元）不能为负数",
    }
    summary = error_summary(response)
    for name, message in messages.items():
        assert field_error(response, f"id_{name}") == message
        assert message in summary
    assert 'href="#id_initial_budget"' in response.content.decode()
    assert field_error(response, "id_adjusted_budget_total") is None
    for name, value in typed.items():
        assert input_value(response, name) == value, name
    # the page carries the version it was rendered from: nothing was saved
    assert input_value(response, "version") == "1"


def test_invalid_basic(filer_client, seed_eval):
    before = snapshot(seed_eval)
    response = post_changed(
        filer_client,
        seed_eval,
        "basic",
        staff_actual="二十三",
        staff_other="-1",
        internal_units="3",
        sec_overview="改过的部门概况 <b>粗体</b>",
    )
    assert_refused(response, before, seed_eval, errors=2)
    assert field_error(response, "id_staff_actual") == "请输入整数"
    assert field_error(response, "id_staff_other") == "不能为负数"
    assert input_value(response, "staff_actual") == "二十三"
    assert input_value(response, "staff_other") == "-1"
    assert input_value(response, "internal_units") == "3"
    assert textarea_value(response, "sec_overview") == "改过的部门概况 &lt;b&gt;粗体&lt;/b&gt;"


def test_a_count_beyond_the_column_is_refused(filer_client, seed_eval):
    """内设机构数 is a smallint column: the form must refuse what the column cannot hold
    (PostgreSQL answered 500, SQLite stored it)."""
    before = snapshot(seed_eval)
    response = post_changed(filer_client, seed_eval, "basic", internal_units="50000")
    assert response.status_code == 200
    assert field_error(response, "id_internal_units") == "数值过大"
    assert snapshot(seed_eval) == before


def test_invalid_management(filer_client, seed_eval):
    before = snapshot(seed_eval)
    response = post_changed(
        filer_client,
        seed_eval,
        "management",
        **{
            "ind-1-1-1-claimed": "5",
            "ind-1-1-4-claimed": "1.555",
            "ind-1-1-4-reason": "已输入的理由",
            "ind-1-5-1-item_own_funds": "no",
            "ind-1-5-6-note": "备注文字",
        },
    )
    assert_refused(response, before, seed_eval, errors=2)
    assert field_error(response, "id_ind-1-1-1-claimed") == "分数不能大于2"
    assert field_error(response, "id_ind-1-1-4-claimed") == "分数最多保留2位小数"
    summary = error_summary(response)
    assert "1.1.1 预算完成率·自评分 ：分数不能大于2" in summary
    assert input_value(response, "ind-1-1-1-claimed") == "5"
    assert input_value(response, "ind-1-1-4-claimed") == "1.555"
    assert textarea_value(response, "ind-1-1-4-reason") == "已输入的理由"
    assert textarea_value(response, "ind-1-5-6-note") == "备注文字"
    radio = re.search(
        r'<input[^>]*name="ind-1-5-1-item_own_funds"[^>]*value="no"[^>]*>',
        response.content.decode(),
    )
    assert radio and "checked" in radio.group(0)


def test_invalid_duty(filer_client, seed_eval):
    before = snapshot(seed_eval)
    response = post_changed(
        filer_client,
        seed_eval,
        "duty",
        **{
            "overall_goal": "改过的目标",
            "task-0-rows-0-name": "",
            "task-0-rows-1-claimed": "5",  # points 4
            "task-0-rows-2-points": "",
            "task-1-rows-0-actual_value": "3,5",
            "tasks-2-name": "改过的任务名",
        },
    )
    assert_refused(response, before, seed_eval, errors=4)
    assert field_error(response, "id_task-0-rows-0-name") == "请填写指标名称"
    assert field_error(response, "id_task-0-rows-1-claimed") == "自评分不能大于分值4"
    assert field_error(response, "id_task-0-rows-2-points") == "请填写分值"
    assert field_error(response, "id_task-1-rows-0-actual_value") == (
        "请输入有效的数值：千位分隔符的位置不对"
    )
    summary = error_summary(response)
    assert "任务1指标1·指标 ：请填写指标名称" in summary
    assert "任务2指标1·实际值" in summary
    assert input_value(response, "task-0-rows-1-claimed") == "5"
    assert input_value(response, "task-1-rows-0-actual_value") == "3,5"
    assert input_value(response, "tasks-2-name") == "改过的任务名"
    assert textarea_value(response, "overall_goal") == "改过的目标"


def test_claimed_above_points_message_shows_the_points_as_typed(filer_client, seed_eval):
    """Not '分值4.00': the points as people write them, like the other score messages."""
    response = post_changed(
        filer_client,
        seed_eval,
        "duty",
        **{"task-0-rows-1-claimed": "5", "task-0-rows-0-claimed": "5"},  # points 4 and 4.5
    )
    assert field_error(response, "id_task-0-rows-1-claimed") == "自评分不能大于分值4"
    assert field_error(response, "id_task-0-rows-0-claimed") == "自评分不能大于分值4.5"


def test_invalid_duty_keeps_added_tasks_and_deleted_rows(filer_client, seed_eval):
    before = snapshot(seed_eval)
    data = form_data(filer_client.get(step_url(seed_eval, "duty")))
    data.update(
        {
            "tasks-TOTAL_FORMS": "5",
            "tasks-4-name": "新加的任务",
            "tasks-4-ORDER": "5",
            "task-4-rows-TOTAL_FORMS": "1",
            "task-4-rows-INITIAL_FORMS": "0",
            "task-4-rows-MIN_NUM_FORMS": "0",
            "task-4-rows-MAX_NUM_FORMS": "1000",
            "task-4-rows-0-name": "新加的指标",
            "task-4-rows-0-operator": "<=",
            "task-4-rows-0-points": "二",
            "task-4-rows-0-ORDER": "1",
            "task-1-rows-2-DELETE": "on",
            "goto": "duty",
        }
    )
    response = filer_client.post(step_url(seed_eval, "duty"), data)
    assert_refused(response, before, seed_eval, errors=1)
    assert field_error(response, "id_task-4-rows-0-points") == "请输入有效的分数，例如 1.5"
    assert "任务5指标1·分值" in error_summary(response)
    again = form_data(response)
    assert again["tasks-TOTAL_FORMS"] == "5"
    assert again["tasks-4-name"] == "新加的任务"
    assert again["task-4-rows-0-name"] == "新加的指标"
    assert again["task-4-rows-0-operator"] == "<="
    assert again["task-4-rows-0-points"] == "二"
    assert again["task-1-rows-2-DELETE"] == "on"  # the deletion is still marked


def test_checklist_error_summary_link_leads_to_the_item(filer_client, seed_eval):
    """A tampered radio value: the summary's link must lead to an element on the page."""
    response = post_changed(
        filer_client, seed_eval, "management", **{"ind-1-5-1-item_own_funds": "maybe"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    anchors = re.findall(r'<a href="#([^"]+)" class="alert-link">', html)
    assert anchors == ["id_ind-1-5-1-item_own_funds"]
    assert f'id="{anchors[0]}"' in html


def test_invalid_row_in_a_deleted_task_does_not_block(filer_client, seed_eval):
    response = post_changed(
        filer_client,
        seed_eval,
        "duty",
        **{"tasks-3-DELETE": "on", "task-3-rows-0-points": "abc"},
    )
    assert response.status_code == 302
    assert seed_eval.tasks.count() == 3


def test_missing_management_form_is_an_error_not_a_crash(filer_client, seed_eval):
    before = snapshot(seed_eval)
    data = form_data(filer_client.get(step_url(seed_eval, "duty")))
    data = {k: v for k, v in data.items() if not k.startswith("task-0-rows-")}
    data["goto"] = "duty"
    response = filer_client.post(step_url(seed_eval, "duty"), data)
    assert response.status_code == 200
    assert error_summary(response) is not None
    assert snapshot(seed_eval) == before


def test_a_huge_amount_is_an_error_not_a_crash(filer_client, seed_eval):
    """A 30-digit amount once raised decimal.InvalidOperation out of the form (500)."""
    before = snapshot(seed_eval)
    response = post_changed(filer_client, seed_eval, "figures", initial_budget="9" * 30)
    assert response.status_code == 200
    assert field_error(response, "id_initial_budget") == "金额（万元）过大"
    assert snapshot(seed_eval) == before


# ---------------------------------------------------------------------------- stale version

STALE = "保存未成功：这份自评在你打开页面之后已被他人修改并保存。"


def _someone_else_saves(evaluation, user):
    """Another session of the department saves the report in the meantime (version 1 → 2)."""
    services.evaluation_save_sections(evaluation.pk, user, 1, texts={"problems": "他人的修改"})


def test_stale_figures_save_keeps_the_typed_value_and_changes_nothing(
    filer_client, seed_eval, users
):
    data = form_data(filer_client.get(step_url(seed_eval, "figures")))
    _someone_else_saves(seed_eval, users["filer"])
    before = snapshot(seed_eval)
    data.update(adjusted_budget_total="1,999.00", goto="figures")
    response = filer_client.post(step_url(seed_eval, "figures"), data)
    assert response.status_code == 200
    text = text_of(response)
    assert "他人已修改这份自评。" in text
    assert STALE in text
    assert "全年预算合计：当前已保存为“1997.16”" in text
    assert 'data-testid="stale-warning"' in response.content.decode()
    assert input_value(response, "adjusted_budget_total") == "1,999.00"
    assert snapshot(seed_eval) == before
    # the form now carries the current version: saving again deliberately succeeds
    again = form_data(response)
    assert again["version"] == "2"
    assert again["adjusted_budget_total"] == "1,999.00"
    again["goto"] = "figures"
    response = filer_client.post(step_url(seed_eval, "figures"), again)
    assert response.status_code == 302
    after = snapshot(seed_eval)
    assert after["version"] == 3
    assert ("adjusted_budget_total", D("1999.00")) in [(k, v) for k, v, _ in after["figures"]]
    assert ("problems", "他人的修改") in after["sections"]


@pytest.mark.parametrize(
    ("step", "field", "value"),
    [
        ("basic", "staff_actual", "30"),
        ("management", "ind-1-1-1-reason", "我的理由"),
        ("duty", "task-0-rows-0-note", "我的备注"),
        ("report", "achievements", "我的成效"),
    ],
)
def test_stale_save_on_every_step(filer_client, seed_eval, users, step, field, value):
    data = form_data(filer_client.get(step_url(seed_eval, step)))
    _someone_else_saves(seed_eval, users["filer"])
    before = snapshot(seed_eval)
    data.update({field: value, "goto": step})
    response = filer_client.post(step_url(seed_eval, step), data)
    assert response.status_code == 200
    assert "他人已修改这份自评。" in text_of(response)
    assert snapshot(seed_eval) == before
    again = form_data(response)
    assert again["version"] == "2"
    assert again[field] == value
    again["goto"] = step
    assert filer_client.post(step_url(seed_eval, step), again).status_code == 302
    assert snapshot(seed_eval)["version"] == 3


def test_a_missing_or_garbled_version_is_stale(filer_client, seed_eval):
    before = snapshot(seed_eval)
    for version in ("", "abc", "0"):
        response = post_changed(filer_client, seed_eval, "report", version=version)
        assert response.status_code == 200
        assert STALE in text_of(response)
    assert snapshot(seed_eval) == before
