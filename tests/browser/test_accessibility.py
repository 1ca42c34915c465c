"""Accessibility (issue 13 items 6–7): axe-core on every main page at 1366 and 390 px wide with
no critical or serious violation, no sideways scrolling of the page on a phone, a skip link,
a visible focus ring, the navbar's toggler, and the Chinese file input by keyboard."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .filing import SEED_DEPARTMENT, evaluation, login, step_url

pytestmark = pytest.mark.browser

AXE = (Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js").read_text(
    encoding="utf-8"
)
WIDTHS = (1366, 390)
# A folder to keep a full-page screenshot of every page checked, for looking at (optional).
SHOTS = os.environ.get("A11Y_SHOTS")
STEPS = ("basic", "figures", "management", "duty", "report", "review")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "critical" || v.impact === "serious")
    .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
         v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


def problems(page: Page, url: str) -> list[str]:
    """axe-core's critical and serious violations on the page at `url` (the script is
    evaluated through the DevTools protocol, so the site's CSP need not allow it), and the
    page's sideways overflow."""
    page.goto(url)
    return [f"{url} @ {page.viewport_size['width']} px: {p}" for p in page_problems(page)]


def page_problems(page: Page) -> list[str]:
    """The problems of the page as it is now (after a POST, say)."""
    page.wait_for_load_state("networkidle")
    found = []
    if SHOTS:
        name = re.sub(r"[^\w]+", "-", page.url.split("//", 1)[-1].split("/", 1)[-1]).strip("-")
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        path = Path(SHOTS) / f"{name or 'home'}-{page.viewport_size['width']}.png"
        page.screenshot(path=str(path), full_page=True)
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(AXE)
    found += page.evaluate(RUN_AXE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"the page scrolls sideways by {overflow} px")
    return found


def check(page: Page, urls: list[str]) -> None:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            found += problems(page, url)
    assert not found, "\n".join(found)


def test_filing_steps_and_home_have_no_serious_violations(page: Page):
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "filer")
    check(page, ["/", *(step_url(seed.pk, s) for s in STEPS)])


def test_review_pages_have_no_serious_violations(page: Page):
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "reviewer")
    check(page, ["/review/", f"/review/evaluations/{seed.pk}/"])


def test_public_login_and_error_pages_have_no_serious_violations(page: Page):
    check(page, ["/accounts/login/", "/public/", "/no-such-page/"])


def test_admin_evaluation_page_has_no_unlabelled_input(page: Page):
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "admin")
    page.goto(f"/admin/evaluations/evaluation/{seed.pk}/change/")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
          .filter(e => e.type !== "hidden")
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                       && !e.getAttribute("aria-labelledby"))
          .map(e => e.name)"""
    )
    assert unlabelled == []
    check(page, ["/admin/", f"/admin/evaluations/evaluation/{seed.pk}/change/"])


# ---------------------------------------------------------------------------- keyboard


def test_skip_link_is_first_and_moves_focus_to_the_content(page: Page):
    login(page, "filer")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_focus_ring_is_visible_on_links_buttons_and_inputs(page: Page):
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "filer")
    page.goto(step_url(seed.pk, "report"))
    for locator in (
        page.locator("#id_contact_name"),
        page.get_by_role("button", name="退出"),
        page.get_by_role("link", name="公开报告"),
    ):
        locator.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard: :focus-visible applies
        style = locator.evaluate(
            "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth] }"
        )
        assert style[0] != "none" and style[1] != "0px", style


def test_navbar_collapses_on_a_phone_and_keeps_logout_visible(page: Page):
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, "filer")
    page.goto("/")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    link = page.get_by_role("link", name="审核工作台").or_(
        page.get_by_role("link", name="我的自评")
    )
    expect(link.first).to_be_hidden()
    toggler = page.get_by_role("button", name="展开或收起导航菜单")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(page.get_by_role("link", name="我的自评")).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # the navbar stays one bar high: the brand, the user and 退出 on one line
    brand = page.locator(".navbar-brand").bounding_box()
    logout = page.get_by_role("button", name="退出").bounding_box()
    assert abs(brand["y"] + brand["height"] / 2 - (logout["y"] + logout["height"] / 2)) < 8
    page.set_viewport_size({"width": 1366, "height": 800})
    expect(toggler).to_be_hidden()
    expect(page.get_by_role("link", name="我的自评")).to_be_visible()


def test_chinese_file_input_by_keyboard_shows_the_chosen_files(page: Page, tmp_path):
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "filer")
    # the data template's picker on 数据填报 (the evidence pickers upload as soon as chosen)
    page.goto(step_url(seed.pk, "figures"))
    file_input = page.get_by_label("选择填好的数据模板")
    box = file_input.locator("xpath=..")
    expect(box).to_contain_text("选择文件")
    expect(box).to_contain_text("未选择文件")
    assert "Choose" not in box.inner_text() and "No file" not in box.inner_text()
    file_input.focus()  # reachable by keyboard, its focus ring drawn on the button
    ring = box.locator("label").evaluate("e => getComputedStyle(e).outlineStyle")
    assert ring != "none"
    chosen = tmp_path / "南沙区政协数据模板.xlsx"
    chosen.write_bytes(b"PK\x03\x04")
    file_input.set_input_files(chosen)
    expect(box).to_contain_text("已选择：南沙区政协数据模板.xlsx")
    file_input.set_input_files([])
    expect(box).to_contain_text("未选择文件")


# ------------------------------------------------------------- pages added by issues 14–16


def declared(evaluation_obj, status: str = "submitted") -> None:
    """A 绩效目标申报 with one task of two rows, in `status`."""
    from evaluations.models import TargetDeclaration

    row = {
        "name": "开展政治理论学习活动",
        "target_text": "不少于20次",
        "operator": ">=",
        "target_value": "20",
        "target_max": None,
        "target_date": None,
        "unit": "次",
        "points": "30",
        "core": True,
    }
    TargetDeclaration.objects.create(
        evaluation=evaluation_obj,
        status=status,
        overall_goal="围绕中心工作，完成年度履职任务。",
        tasks=[{"name": "任务1-加强思想政治引领", "section": "", "rows": [row]}],
    )


def test_declaration_and_draft_pdf_progress_have_no_serious_violations(page: Page, settings):
    from .filing import EMPTY_DEPARTMENT

    # the draft PDF is only queued (nothing runs it), so its progress page stays
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    seed = evaluation(SEED_DEPARTMENT)
    blank = evaluation(EMPTY_DEPARTMENT)
    declared(blank, "draft")
    login(page, "filer")
    check(page, ["/accounts/password/", f"/evaluations/{seed.pk}/pdf/"])
    page.context.clear_cookies()
    login(page, "filer2")
    check(page, [f"/evaluations/{blank.pk}/targets/"])


def test_round_jobs_statistics_and_declaration_review_have_no_serious_violations(page: Page):
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from evaluations.models import BulkJob, FiscalYear
    from evaluations.services.rounds import extension_grant
    from tests.review.test_statistics import scored

    seed = evaluation(SEED_DEPARTMENT)
    declared(seed)
    fy = FiscalYear.objects.get(region__code="nansha", year=2022)
    reviewer = get_user_model().objects.get(username="reviewer")
    job = BulkJob.objects.create(
        kind=BulkJob.Kind.EXPORT_SCORES,
        fiscal_year=fy,
        state=BulkJob.State.FAILED,
        total=3,
        done=2,
        errors=["南沙区政协办公室：PDF 无法生成"],
        message="2 个部门已完成，1 个失败",
        created_by=reviewer,
    )
    # 统计分析 with its charts and tables filled; a 延期 record in the page's table
    scored(fy, "stat-a", "submitted", duty=50, lower={"1.1.5": 1}, reviewer=reviewer)
    scored(fy, "stat-b", "approved", duty=30, lower={"3.1.1": 0}, reviewer=reviewer)
    fy.closes_at_deadline = True
    fy.save(update_fields=["closes_at_deadline"])
    extension_grant(
        actor=reviewer,
        fiscal_year=fy,
        department=seed.department,
        until=max(fy.deadline, timezone.localdate()) + datetime.timedelta(days=30),
        reason="部门主要负责人调整，需补充佐证材料后再提交。",
    )
    login(page, "reviewer")
    check(
        page,
        [
            "/review/nansha/rounds/open/",
            f"/review/evaluations/{seed.pk}/extend/",
            f"/review/evaluations/{seed.pk}/",
            "/review/nansha/2022/statistics/",
            "/review/jobs/",
            f"/review/jobs/{job.pk}/",
            "/accounts/password/",
        ],
    )
    # 开启年度评价's radios and boxes are Bootstrap's: their label set apart from the input
    page.goto("/review/nansha/rounds/open/")
    for name in ("scope", "departments"):
        box = page.locator(f"input[name={name}]").first
        label = page.locator(f"label[for={box.get_attribute('id')}]")
        gap = label.bounding_box()["x"] - (box.bounding_box()["x"] + box.bounding_box()["width"])
        assert gap >= 5, (name, gap)


def test_bulk_summary_and_public_filters_have_no_serious_violations(page: Page, settings, tmp_path):
    import hashlib

    from django.core.files.base import ContentFile

    from evaluations.models import Evaluation, PublishedReport

    settings.MEDIA_ROOT = str(tmp_path / "media")
    seed = evaluation(SEED_DEPARTMENT)
    project = Evaluation.objects.create(
        department=seed.department,
        fiscal_year=seed.fiscal_year,
        rubric=seed.rubric,
        project="政协委员履职培训",
    )
    for published in (seed, project):
        body = b"%PDF-1.4 test"
        report = PublishedReport(
            evaluation=published, sha256=hashlib.sha256(body).hexdigest(), size=len(body)
        )
        report.file.save("report.pdf", ContentFile(body), save=False)
        report.save()
    login(page, "reviewer")
    page.goto("/review/nansha/2022/")
    page.get_by_label("全选本页").check()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="审核通过所选").click()
    expect(page.get_by_test_id("bulk-summary")).to_be_visible()
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found += [f"bulk summary @ {width} px: {p}" for p in page_problems(page)]
    assert not found, "\n".join(found)
    check(
        page,
        [
            "/public/?q=政协&kind=project",
            "/public/?q=没有这个部门&kind=whole",
            "/public/?kind=whole",
        ],
    )
