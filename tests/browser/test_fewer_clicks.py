"""Issue 13, item 8: the clicks and page loads it takes to file the whole seed case from an
empty evaluation (the same data as test_seed_case.py), counted as a user would make them, with
the budget at half of what the issue measured before (152 clicks, 70 page loads).

Counted as a click: every click or tick, every choice in a drop-down that changes its value,
every file chooser opened (the files picked in it are not counted again), every confirmation
dialog accepted. Typing is not counted. A page load is every document the tab loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from .filing import (
    ACHIEVED,
    DIFFERING,
    EMPTY_DEPARTMENT,
    ROW_TEXT_FIELDS,
    SEED,
    _rubric,
    _text,
    department_figures,
    evaluation,
    exact,
    fill_basic,
    fill_figures,
    fill_report,
    indicator_card,
    rows,
    shot,
    step_list,
    tasks,
)
from .test_seed_case import seed_totals

pytestmark = pytest.mark.browser

BEFORE = (152, 70)  # clicks, page loads: issue 13, filing the seed case before
BUDGET = (BEFORE[0] // 2, BEFORE[1] // 2)
# The same count as below, run on the code before this change (radios one by one, each of the
# 16 evidence files chosen and uploaded with its own click and reload, a save before the
# uploads): 95 clicks, 26 page loads. Page loads are held to half of that as well; clicks are
# 57 against it (-40%), not yet half.
SAME_COUNT_BEFORE = (95, 26)


class Counter:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.clicks = 0
        self.loads = 0
        page.on("load", lambda _page: self._load())
        page.on("dialog", lambda dialog: (self._click(), dialog.accept()))

    def _load(self) -> None:
        self.loads += 1

    def _click(self) -> None:
        self.clicks += 1

    def click(self, locator: Locator) -> None:
        locator.click()
        self.clicks += 1

    def select(self, locator: Locator, value: str) -> None:
        if locator.input_value() != value:
            locator.select_option(value)
            self.clicks += 1

    def upload(self, locator: Locator, files) -> None:
        locator.set_input_files(files)
        self.clicks += 1


def _current(page: Page, title: str) -> None:
    expect(step_list(page).locator("[aria-current=step]")).to_contain_text(title)


def _evidence_files(tmp_path: Path) -> dict[str, Path]:
    """One PDF per group of indicators (1.1 预算编制 … 3.1 加减分), as a department would keep
    them: the library lets one file serve every indicator of its group."""
    files = {}
    for prefix in ("1.1", "1.2", "1.3", "1.4", "1.5", "3.1"):
        path = tmp_path / f"佐证材料-{prefix}.pdf"
        path.write_bytes(b"%PDF-1.4\n%" + prefix.encode() + b"\n1 0 obj<<>>endobj\n%%EOF\n")
        files[prefix] = path
    return files


def fill_management(page: Page, count: Counter, files: dict[str, Path]) -> None:
    leaves = _rubric()
    for code, answer in SEED["answers"].items():
        card = indicator_card(page, code)
        choices = answer.get("choices", {})
        items = {i["key"]: i for i in leaves[code].params.get("items", [])}
        firsts = all(v == items[k]["options"][0]["key"] for k, v in choices.items())
        if choices and firsts and len(choices) == len(items):
            count.click(card.get_by_test_id(f"all-first-{code}"))  # 全部符合
            choices = {}
        for item_key, option_key in choices.items():
            option = next(o for o in items[item_key]["options"] if o["key"] == option_key)
            group = card.locator(f"#id_ind-{code.replace('.', '-')}-item_{item_key}")
            radio = group.get_by_role("radio", name=re.compile(rf"^{re.escape(option['label'])}（"))
            count.click(radio)
        card.get_by_label(exact("自评分")).fill(_text(answer["claimed"]))
        if answer.get("reason"):
            card.get_by_label(exact("自评分说明")).fill(answer["reason"])
    for code in DIFFERING:
        indicator_card(page, code).get_by_label(exact("自评分说明")).fill(
            f"{code}：依据见佐证材料。"
        )
    for code, leaf in leaves.items():
        if not leaf.evidence_required:
            continue
        path = files[code.rsplit(".", 1)[0]]
        card = indicator_card(page, code)
        count.upload(card.get_by_label(f"上传佐证材料到指标 {code}"), str(path))
        expect(card.get_by_test_id("evidence-item")).to_contain_text(path.name)


def fill_duty(page: Page, count: Counter) -> None:
    goals = SEED["evaluation"]
    page.get_by_label(exact("年度整体绩效目标")).fill(goals["overall_goal"])
    page.get_by_label(exact("整体绩效目标完成情况")).fill(goals["goal_completion"])
    page.get_by_label(exact("未能完成原因")).fill(goals["goal_shortfall_reason"])
    for task_data in SEED["tasks"]:
        n = tasks(page).count()
        count.click(page.get_by_role("button", name="添加任务"))
        task = tasks(page).nth(n)
        task.get_by_label(exact("任务")).fill(task_data["name"])
        for i, data in enumerate(task_data["rows"]):
            if i:
                count.click(task.get_by_role("button", name="添加指标"))
            expect(rows(task)).to_have_count(i + 1)
            row = rows(task).nth(i)
            for key, label in ROW_TEXT_FIELDS.items():
                if key in data:
                    value = data[key]
                    text = value if isinstance(value, str) else _text(value)
                    row.get_by_label(exact(label)).fill(text)
            count.select(row.get_by_label(exact("比较")), data.get("operator", ">="))
            # chosen only where the page has not derived it from the numbers
            count.select(row.get_by_label(exact("完成情况")), ACHIEVED[data.get("achieved")])


def test_filing_the_seed_case_takes_half_the_clicks_and_page_loads(
    page: Page, tmp_path, settings, capsys
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    expected = seed_totals()
    files = _evidence_files(tmp_path)
    count = Counter(page)

    from evaluations.demo import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("filer2")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    count.click(page.get_by_role("button", name="登录"))
    row = page.get_by_test_id("evaluation-row").filter(has_text="2022年度")
    count.click(row.get_by_role("link", name="开始填报"))
    _current(page, "基本情况")

    fill_basic(page)
    count.click(page.get_by_test_id("save-next"))
    _current(page, "收支数据")
    fill_figures(page, department_figures())
    count.click(page.get_by_test_id("save-next"))
    _current(page, "评分指标")
    fill_management(page, count, files)
    count.click(page.get_by_test_id("save-next"))
    _current(page, "履职效能")
    fill_duty(page, count)
    count.click(page.get_by_test_id("save-next"))
    _current(page, "报告正文")
    fill_report(page)
    count.click(page.get_by_test_id("save-next"))
    _current(page, "核对与提交")
    expect(page.get_by_test_id("blocking")).to_have_count(0)
    shot(page, "fewer-clicks-review")
    count.click(page.get_by_test_id("submit"))  # and the confirmation (counted by the Counter)
    expect(page.get_by_test_id("status")).to_have_text("已提交")
    expect(page.get_by_test_id("total-claimed")).to_have_text(expected["claimed"])
    expect(page.get_by_test_id("total-computed")).to_have_text(expected["computed"])

    filed = evaluation(EMPTY_DEPARTMENT)
    assert filed.status == "submitted"
    assert filed.evidence.count() == len(files)  # one file per group, each stored once
    linked = {link.indicator_code for e in filed.evidence.all() for link in e.links.all()}
    assert linked == {code for code, leaf in _rubric().items() if leaf.evidence_required}

    with capsys.disabled():
        print(
            f"\n填报种子案例（空白自评→提交）：点击 {count.clicks} 次，页面加载 {count.loads} 次"
            f"（问题 13 记录的原值 {BEFORE[0]} / {BEFORE[1]}，预算 {BUDGET[0]} / {BUDGET[1]}；"
            f"按同一计法，改动前为 {SAME_COUNT_BEFORE[0]} / {SAME_COUNT_BEFORE[1]}）"
        )
    assert count.clicks <= BUDGET[0]
    assert count.loads <= min(BUDGET[1], SAME_COUNT_BEFORE[1] // 2)
