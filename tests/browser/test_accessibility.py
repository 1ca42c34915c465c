"""Accessibility (issue 13 items 6–7): axe-core on every main page at 1366 and 390 px wide with
no critical or serious violation, no sideways scrolling of the page on a phone, a skip link,
a visible focus ring, the navbar's toggler, and the Chinese file input by keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .filing import SEED_DEPARTMENT, evaluation, login, step_url

pytestmark = pytest.mark.browser

AXE = (Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js").read_text(
    encoding="utf-8"
)
WIDTHS = (1366, 390)
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
    page.wait_for_load_state("networkidle")
    found = []
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(AXE)
    found += page.evaluate(RUN_AXE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"the page scrolls sideways by {overflow} px")
    return [f"{url} @ {page.viewport_size['width']} px: {p}" for p in found]


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
    page.goto(step_url(seed.pk, "management"))
    file_input = page.get_by_label("上传文件到材料库（可多选）").first
    box = file_input.locator("xpath=..")
    expect(box).to_contain_text("选择文件")
    expect(box).to_contain_text("未选择文件")
    assert "Choose" not in box.inner_text() and "No file" not in box.inner_text()
    file_input.focus()  # reachable by keyboard, its focus ring drawn on the button
    ring = box.locator("label").evaluate("e => getComputedStyle(e).outlineStyle")
    assert ring != "none"
    a, b = tmp_path / "决算报表.pdf", tmp_path / "会议纪要.pdf"
    a.write_bytes(b"%PDF-1.4\n%%EOF\n")
    b.write_bytes(b"%PDF-1.4\n%%EOF\n")
    file_input.set_input_files([a, b])
    expect(box).to_contain_text("已选择 2 个文件：决算报表.pdf、会议纪要.pdf")
    file_input.set_input_files([])
    expect(box).to_contain_text("未选择文件")
