"""A submitted evaluation is read-only, in the browser and to a forged POST, until withdrawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .filing import (
    SEED,
    SEED_DEPARTMENT,
    evaluation,
    give_reasons,
    login,
    saved_message,
    step_url,
)

pytestmark = pytest.mark.browser

EDIT_STEPS = ("basic", "figures", "management", "duty", "report")


def submit(page: Page, pk: int) -> None:
    page.goto(step_url(pk, "management"))
    give_reasons(page)
    page.get_by_test_id("save-draft").click()
    expect(saved_message(page, "评分指标")).to_be_visible()
    page.goto(step_url(pk, "review"))
    expect(page.get_by_test_id("ready")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_text("已提交")


def test_submitted_evaluation_cannot_be_edited_until_withdrawn(page: Page):
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "filer")
    submit(page, seed.pk)
    seed.refresh_from_db()
    assert seed.status == "submitted"
    version = seed.version

    for step in EDIT_STEPS:
        page.goto(step_url(seed.pk, step))
        expect(page.get_by_test_id("status")).to_have_text("已提交")
        fields = page.locator("#step-form").get_by_role("textbox")
        expect(fields.first).to_be_disabled()
        expect(fields.last).to_be_disabled()
        expect(page.get_by_test_id("save-draft")).to_have_count(0)
        expect(page.get_by_test_id("save-next")).to_have_count(0)

    # A POST with valid data and a valid CSRF token, sent with the page's cookies.
    page.goto(step_url(seed.pk, "basic"))
    form = {
        name: str(value) for name, value in SEED["department"].items() if isinstance(value, int)
    }
    form.update({f"sec_{key}": SEED["sections"][key] for key in ("overview", "duties")})
    form.update(
        staff_actual="99",
        sec_organization="（伪造的修改）",
        version=str(version),
        csrfmiddlewaretoken=page.locator("input[name=csrfmiddlewaretoken]").first.input_value(),
    )
    response = page.request.post(
        step_url(seed.pk, "basic"), form=form, headers={"Referer": page.url}
    )
    assert response.ok, response.status
    assert "不能修改" in response.text()
    seed.refresh_from_db()
    assert seed.status == "submitted"
    assert seed.version == version
    assert seed.department.staff_actual == 23
    assert seed.sections.get(key="organization").text == SEED["sections"]["organization"]

    page.goto(step_url(seed.pk, "review"))
    page.get_by_test_id("withdraw").click()
    expect(page.get_by_test_id("status")).to_have_text("填报中")
    expect(page.get_by_role("status").filter(has_text="已撤回")).to_be_visible()
    assert evaluation(SEED_DEPARTMENT).status == "draft"

    page.goto(step_url(seed.pk, "basic"))
    expect(page.locator("#step-form").get_by_role("textbox").first).to_be_enabled()
    staff = page.get_by_label("实有在职人数")
    expect(staff).to_be_enabled()
    staff.fill("24")
    page.get_by_test_id("save-draft").click()
    expect(saved_message(page, "基本情况")).to_be_visible()
    assert evaluation(SEED_DEPARTMENT).department.staff_actual == 24


def test_another_years_filing_leaves_a_submitted_evaluation_unchanged(page: Page):
    from evaluations.models import Evaluation, FiscalYear

    seed = evaluation(SEED_DEPARTMENT)
    year_2023 = FiscalYear.objects.create(
        region=seed.fiscal_year.region, year=2023, rubric=seed.rubric
    )
    later = Evaluation.objects.create(
        department=seed.department, fiscal_year=year_2023, rubric=seed.rubric
    )
    login(page, "filer")
    submit(page, seed.pk)

    page.goto(step_url(later.pk, "basic"))
    page.get_by_label("实有在职人数").fill("30")
    page.get_by_test_id("save-draft").click()
    expect(saved_message(page, "基本情况")).to_be_visible()

    page.goto(step_url(seed.pk, "basic"))
    expect(page.get_by_test_id("status")).to_have_text("已提交")
    expect(page.get_by_label("实有在职人数")).to_have_value("23", timeout=2_000)
