"""Issue 13, item 1: nothing typed is lost. Autosave (static/js/autosave.js) saves a step
through the step's own form and service; Enter never leaves the page; uploads and replies keep
what is typed elsewhere on the page; a refused value stays in its field with the message beside
it (the filing steps and the reviewer's 复核分)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .filing import (
    EMPTY_DEPARTMENT,
    SEED_DEPARTMENT,
    evaluation,
    exact,
    figure_input,
    indicator_card,
    login,
    shot,
    step_url,
)

pytestmark = pytest.mark.browser

SAVED = re.compile(r"^已自动保存 \d\d:\d\d$")


def autosave_status(page: Page):
    return page.get_by_test_id("autosave-status")


def count_loads(page: Page) -> list[str]:
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    return loads


def test_autosave_persists_after_a_reload(page: Page):
    blank = evaluation(EMPTY_DEPARTMENT)
    login(page, "filer2")
    page.goto(step_url(blank.pk, "basic"))
    loads = count_loads(page)
    field = page.get_by_label(exact("内设机构数"))
    field.fill("6")
    expect(autosave_status(page)).to_have_text("有未保存的修改")
    expect(autosave_status(page)).to_have_text(SAVED)  # 2 s after the last change
    assert loads == []  # saved without leaving or reloading the page
    shot(page, "autosave-saved")
    page.reload()
    expect(page.get_by_label(exact("内设机构数"))).to_have_value("6")
    blank.refresh_from_db()
    assert blank.internal_units == 6


def test_enter_in_a_field_saves_in_place_and_never_navigates(page: Page):
    blank = evaluation(EMPTY_DEPARTMENT)
    login(page, "filer2")
    page.goto(step_url(blank.pk, "figures"))
    loads = count_loads(page)
    url = page.url
    field = figure_input(page, "adjusted_budget_total")
    field.fill("1997.16")
    field.press("Enter")
    expect(autosave_status(page)).to_have_text(SAVED)
    assert page.url == url and loads == []
    expect(field).to_be_focused()
    value = evaluation(EMPTY_DEPARTMENT).figures.get(key="adjusted_budget_total").value
    assert value == Decimal("1997.16")


def test_enter_without_scripts_saves_the_same_step(browser, seeded_server):
    """The form's structure, not only the script: the default button saves this step."""
    ctx = browser.new_context(base_url=seeded_server.url, java_script_enabled=False)
    try:
        page = ctx.new_page()
        login_page = page
        login_page.goto("/accounts/login/")
        login_page.get_by_label("用户名").fill("filer2")
        from evaluations.demo import DEMO_PASSWORD

        login_page.get_by_label("密码").fill(DEMO_PASSWORD)
        login_page.get_by_label("密码").press("Enter")
        blank = evaluation(EMPTY_DEPARTMENT)
        page.goto(step_url(blank.pk, "figures"))
        field = figure_input(page, "adjusted_budget_total")
        field.fill("1997.16")
        field.press("Enter")
        page.wait_for_load_state()
        assert page.url.endswith(step_url(blank.pk, "figures"))
        expect(page.get_by_role("status").filter(has_text="“收支数据”已保存")).to_be_visible()
    finally:
        ctx.close()


def test_a_refused_value_stays_with_its_message_and_nothing_is_saved(page: Page):
    blank = evaluation(EMPTY_DEPARTMENT)
    version = blank.version
    login(page, "filer2")
    page.goto(step_url(blank.pk, "figures"))
    field = figure_input(page, "procurement_planned")
    field.fill("12.345")
    figure_input(page, "assets_total").fill("72.06万元")
    expect(autosave_status(page)).to_contain_text("保存失败，请检查标出的栏目")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#fig-procurement_planned")).to_contain_text("最多保留2位小数")
    expect(field).to_have_value("12.345")
    expect(figure_input(page, "assets_total")).to_have_value("72.06万元")
    page.mouse.wheel(0, -5000)
    page.get_by_test_id("autosave-jump").click()  # 转到该栏目
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    shot(page, "autosave-error")
    assert evaluation(EMPTY_DEPARTMENT).version == version
    # corrected: saved, the mark gone
    field.fill("12.34")
    expect(autosave_status(page)).to_have_text(SAVED)
    expect(field).not_to_have_class(re.compile(r"\bis-invalid\b"))
    assert evaluation(EMPTY_DEPARTMENT).figures.get(key="procurement_planned").value == Decimal(
        "12.34"
    )


def test_a_version_conflict_stops_autosave_and_says_so(context: BrowserContext):
    blank = evaluation(EMPTY_DEPARTMENT)
    tab_a = context.new_page()
    login(tab_a, "filer2")
    tab_b = context.new_page()
    for tab in (tab_a, tab_b):
        tab.goto(step_url(blank.pk, "figures"))
    figure_input(tab_a, "assets_total").fill("80")
    expect(autosave_status(tab_a)).to_have_text(SAVED)
    figure_input(tab_b, "assets_total").fill("90")
    expect(autosave_status(tab_b)).to_contain_text("他人已修改这份自评")
    expect(figure_input(tab_b, "assets_total")).to_have_value("90")
    assert evaluation(EMPTY_DEPARTMENT).figures.get(key="assets_total").value == Decimal("80")


def test_upload_keeps_typed_text_and_does_not_reload(page: Page, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    blank = evaluation(EMPTY_DEPARTMENT)
    login(page, "filer2")
    page.goto(step_url(blank.pk, "management"))
    loads = count_loads(page)
    card = indicator_card(page, "1.1.2")
    card.get_by_label(exact("备注")).fill("预算编制说明见附件")
    pdf = tmp_path / "预算评估.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%upload\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    card.get_by_label("上传佐证材料到指标 1.1.2").set_input_files(str(pdf))  # uploads at once
    expect(card.get_by_test_id("evidence-item")).to_contain_text("预算评估.pdf")
    expect(card.get_by_test_id("evidence-feedback")).to_contain_text("已上传 1 个文件")
    expect(card.get_by_label(exact("备注"))).to_have_value("预算编制说明见附件")
    assert loads == []
    shot(page, "upload-kept")
    saved = evaluation(EMPTY_DEPARTMENT).answers.get(code="1.1.2")
    assert saved.note == "预算编制说明见附件"  # saved before the upload went
    # the same file for another indicator is the library's file, not refused
    other = indicator_card(page, "1.1.3")
    other.get_by_label("上传佐证材料到指标 1.1.3").set_input_files(str(pdf))
    expect(other.get_by_test_id("evidence-feedback")).to_contain_text("内容相同，未重复保存")
    expect(other.get_by_test_id("evidence-item")).to_contain_text("预算评估.pdf")


def test_reply_keeps_typed_text(page: Page):
    from django.contrib.auth import get_user_model

    from evaluations import services

    seed = evaluation(SEED_DEPARTMENT)
    reviewer = get_user_model().objects.get(username="reviewer")
    services.annotation_add(
        seed.pk, reviewer, target="ind:1.1.2", label="1.1.2", text="请补充预算编制依据。"
    )
    login(page, "filer")
    page.goto(step_url(seed.pk, "management"))
    card = indicator_card(page, "1.1.2")
    card.get_by_label(exact("备注")).fill("已补充依据")
    card.get_by_label("回复批注").fill("已在备注中补充。")
    card.get_by_role("button", name="回复").click()
    expect(page.get_by_text("回复已发送。")).to_be_visible()
    card = indicator_card(page, "1.1.2")
    expect(card.get_by_label(exact("备注"))).to_have_value("已补充依据")
    expect(card.locator(".annotation-reply")).to_contain_text("已在备注中补充。")


def test_reviewed_score_without_a_reason_keeps_the_score_in_view(page: Page):
    seed = evaluation(SEED_DEPARTMENT)
    from evaluations.models import Evaluation

    Evaluation.objects.filter(pk=seed.pk).update(status="submitted")
    login(page, "reviewer")
    page.goto(f"/review/evaluations/{seed.pk}/")
    row = page.locator("#line-1-1-1")
    row.locator("summary").filter(has_text="复核分").click()
    row.get_by_label("复核分", exact=True).fill("1.2")
    row.get_by_role("button", name="保存").click()
    row = page.locator("#line-1-1-1")
    expect(row.get_by_test_id("reviewed-error")).to_have_text("请填写复核理由")
    expect(row.get_by_test_id("reviewed-error")).to_be_in_viewport()
    expect(row.get_by_label("复核分", exact=True)).to_have_value("1.2")
    expect(row.get_by_label("复核理由")).to_be_focused()
    shot(page, "reviewed-error")


def test_library_upload_several_files_then_attach_and_detach(page: Page, settings, tmp_path):
    """Issue 13, item 2: several files into the library at once (one reload, with a notice),
    then one of them attached to an indicator and detached again without reloading."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    blank = evaluation(EMPTY_DEPARTMENT)
    login(page, "filer2")
    page.goto(step_url(blank.pk, "management"))
    files = []
    for name in ("预算编制资料.pdf", "内控制度.pdf", "资产台账.pdf"):
        path = tmp_path / name
        path.write_bytes(b"%PDF-1.4\n%" + name.encode() + b"\n%%EOF\n")
        files.append(str(path))
    library = page.get_by_test_id("evidence-library")
    with page.expect_event("load"):
        library.get_by_label("上传文件到材料库（可多选）").set_input_files(files)
    library = page.get_by_test_id("evidence-library")
    expect(library.get_by_test_id("evidence-item")).to_have_count(3)
    expect(library.get_by_test_id("evidence-feedback")).to_contain_text("已上传 3 个文件。")
    loads = count_loads(page)
    card = indicator_card(page, "1.1.2")
    card.get_by_test_id("evidence-choose").select_option(label="内控制度.pdf")
    card.get_by_test_id("evidence-attach").click()
    expect(card.get_by_test_id("evidence-item")).to_contain_text("内控制度.pdf")
    expect(card.get_by_test_id("evidence-feedback")).to_contain_text(
        "已将“内控制度.pdf”关联到指标 1.1.2"
    )
    card.get_by_test_id("evidence-detach").click()
    expect(card.get_by_test_id("evidence-item")).to_have_count(0)
    expect(card.get_by_test_id("evidence-feedback")).to_contain_text("文件仍在材料库中")
    assert loads == []
    assert evaluation(EMPTY_DEPARTMENT).evidence.count() == 3
