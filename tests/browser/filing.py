"""Helpers for driving the filing form, with the data entry built from the seed case
(evaluations/demo/nansha_2022.yaml) so that the tests stay short."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from playwright.sync_api import Locator, Page, expect

from evaluations.demo import DATA, DEMO_PASSWORD
from rubric import loader
from rubric.inputs import BY_KEY as FIGURES
from rubric.inputs import Source

SEED: dict = yaml.safe_load(DATA.read_text(encoding="utf-8"))
SEED_DEPARTMENT = "nansha-cppcc-office"
EMPTY_DEPARTMENT = "nansha-demo-bureau"
SHOTS = Path("/tmp/browser-shots")

SEED_RUBRIC = loader.load_file(loader.VERSIONS_DIR / f"{SEED['fiscal_year']['rubric']}.yaml")[0]
# The seed's claimed scores that differ from the computed ones: submission needs a reason.
DIFFERING = ("1.1.1", "1.1.4", "1.2.1", "1.5.5", "3.1.1")
# Amounts typed the way people type them; every other figure is typed plainly.
TYPED_AMOUNTS = {
    "expenditure_final_total": "1,954.07",
    "adjusted_budget_total": "１９９７.１６",
    "initial_budget": "2,959.47万元",
}


def exact(label: str) -> re.Pattern[str]:
    """A label matched whole; crispy-forms appends "*" to the label of a required field."""
    return re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")


def login(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def evaluation(department_code: str):
    from evaluations.models import Evaluation

    return Evaluation.objects.get(department__code=department_code, fiscal_year__year=2022)


def step_url(evaluation_pk: int, step: str) -> str:
    return f"/evaluations/{evaluation_pk}/step/{step}/"


def step_list(page: Page) -> Locator:
    return page.get_by_role("navigation", name="填报步骤")


def goto_step_via_list(page: Page, title: str) -> None:
    """Click a step in the step list (on an editable step, what is typed is saved first)."""
    step_list(page).get_by_role("link", name=title).click()
    expect(step_list(page).locator("[aria-current=step]")).to_contain_text(title)


def save_and_continue(page: Page, next_title: str) -> None:
    page.get_by_test_id("save-next").click()
    expect(step_list(page).locator("[aria-current=step]")).to_contain_text(next_title)


def saved_message(page: Page, step_title: str) -> Locator:
    return page.get_by_role("status").filter(has_text=f"“{step_title}”已保存")


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _text(value) -> str:
    return "" if value is None else format(Decimal(str(value)), "f")


# ---------------------------------------------------------------------------- the six steps


def fill_basic(page: Page) -> None:
    from evaluations.models import Department

    for name, value in SEED["department"].items():
        if isinstance(value, int):
            label = Department._meta.get_field(name).verbose_name
            page.get_by_label(exact(label)).fill(str(value))
    for section in SEED_RUBRIC.report.sections:
        if section.step == "basic":
            page.get_by_label(exact(section.title)).fill(SEED["sections"][section.key])


def department_figures() -> dict[str, str]:
    """What is typed on 收支数据, per figure key (figures without a value are left empty)."""
    return {
        key: TYPED_AMOUNTS.get(key, _text(value))
        for key, (value, _note) in SEED["figures"].items()
        if FIGURES[key].source is Source.DEPARTMENT and value is not None
    }


def figure_input(page: Page, key: str) -> Locator:
    return page.get_by_label(exact(FIGURES[key].label))


def fill_figures(page: Page, values: dict[str, str]) -> None:
    for key, text in values.items():
        figure_input(page, key).fill(text)


@cache
def _rubric():
    spec, _content = loader.load_file(loader.VERSIONS_DIR / f"{SEED['fiscal_year']['rubric']}.yaml")
    return {leaf.code: leaf for leaf in spec.leaves()}


def indicator_card(page: Page, code: str) -> Locator:
    return page.locator(f"#ind-{code.replace('.', '-')}")


def give_reasons(page: Page, codes=DIFFERING) -> None:
    for code in codes:
        card = indicator_card(page, code)
        card.get_by_label(exact("自评分说明")).fill(f"{code}：自评分依据见佐证材料。")


def fill_management(page: Page) -> None:
    leaves = _rubric()
    for code, answer in SEED["answers"].items():
        card = indicator_card(page, code)
        items = {i["key"]: i for i in leaves[code].params.get("items", [])}
        for item_key, option_key in answer.get("choices", {}).items():
            option = next(o for o in items[item_key]["options"] if o["key"] == option_key)
            group = card.locator(f"#id_ind-{code.replace('.', '-')}-item_{item_key}")
            group.get_by_role("radio", name=re.compile(rf"^{re.escape(option['label'])}（")).check()
        card.get_by_label(exact("自评分")).fill(_text(answer["claimed"]))
        if answer.get("reason"):
            card.get_by_label(exact("自评分说明")).fill(answer["reason"])
    give_reasons(page)


ROW_TEXT_FIELDS = {
    "name": "指标",
    "target_text": "年度指标值",
    "target_value": "指标值",
    "unit": "单位",
    "actual_text": "实际完成指标值",
    "actual_value": "实际值",
    "points": "分值",
}
ACHIEVED = {True: "yes", False: "no", None: ""}


def tasks(page: Page) -> Locator:
    return page.locator("[data-task]:visible")


def rows(task: Locator) -> Locator:
    return task.locator("[data-row]:visible")


def add_task(page: Page, name: str) -> Locator:
    """Click 添加任务 (which also adds the task's first row); return the new task block."""
    count = tasks(page).count()
    page.get_by_role("button", name="添加任务").click()
    task = tasks(page).nth(count)
    expect(rows(task)).to_have_count(1)
    task.get_by_label(exact("任务")).fill(name)
    return task


def add_row(task: Locator) -> Locator:
    count = rows(task).count()
    task.get_by_role("button", name="添加指标").click()
    expect(rows(task)).to_have_count(count + 1)
    return rows(task).nth(count)


def fill_row(row: Locator, data: dict) -> None:
    for key, label in ROW_TEXT_FIELDS.items():
        if key in data:
            value = data[key]
            row.get_by_label(exact(label)).fill(value if isinstance(value, str) else _text(value))
    row.get_by_label(exact("比较")).select_option(data.get("operator", ">="))
    row.get_by_label(exact("完成情况")).select_option(ACHIEVED[data.get("achieved")])


def fill_duty(page: Page) -> None:
    goals = SEED["evaluation"]
    page.get_by_label(exact("年度整体绩效目标")).fill(goals["overall_goal"])
    page.get_by_label(exact("整体绩效目标完成情况")).fill(goals["goal_completion"])
    page.get_by_label(exact("未能完成原因")).fill(goals["goal_shortfall_reason"])
    for task_data in SEED["tasks"]:
        task = add_task(page, task_data["name"])
        for i, row_data in enumerate(task_data["rows"]):
            fill_row(rows(task).nth(0) if i == 0 else add_row(task), row_data)


def fill_report(page: Page) -> None:
    for section in SEED_RUBRIC.report.sections:
        if section.step == "report":
            page.get_by_label(exact(section.title)).fill(SEED["sections"][section.key])
    # 落款与联系人: checked before submission
    meta = SEED["evaluation"]
    page.get_by_label(exact("报告日期")).fill(str(meta["report_date"]))
    page.get_by_label(exact("署名单位")).fill(meta["signed_unit"])
    page.get_by_label(exact("联系人")).fill(meta["contact_name"])
    page.get_by_label(exact("联系电话")).fill(meta["contact_phone"])
