"""核对与提交: the problems that block the seed evaluation, submitting (through the page and the
service), a double submit, editing after submission, withdrawing, and who may do what."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Evaluation, EvaluationEvent, FiscalYear
from evaluations.selectors import evaluations_for_scoring
from evaluations.submission import review
from tests.evaluations.test_filing_views import assert_fields_disabled

from .filing_helpers import EDIT_STEPS, form_data, snapshot, step_url, text_of

pytestmark = pytest.mark.django_db
D = Decimal

# The seed's claimed scores that differ from the computed ones, without a reason.
BLOCKING = {
    "1.1.1": "1.1.1 预算完成率：自评分与计算得分不一致，须填写理由",
    "1.1.4": "1.1.4 财政拨款收入预算差异率：自评分与计算得分不一致，须填写理由",
    "1.2.1": "1.2.1 政府采购执行率：自评分与计算得分不一致，须填写理由",
    "1.5.5": "1.5.5 绩效目标完成率：自评分与计算得分不一致，须填写理由",
    "3.1.1": "3.1.1 工作受表彰或批评：自评分与计算得分不一致，须填写理由",
}


def give_reasons(evaluation, user, codes=BLOCKING) -> None:
    """Add a reason to each answer, keeping its choices and claimed score."""
    evaluation.refresh_from_db()
    answers = {a.code: a for a in evaluation.answers.all()}
    services.evaluation_save_answers(
        evaluation.pk,
        user,
        evaluation.version,
        answers={
            code: services.AnswerInput(
                choices=answers[code].choices,
                claimed=answers[code].claimed,
                reason=f"{code}的自评分说明",
                note=answers[code].note,
            )
            for code in codes
        },
    )
    evaluation.refresh_from_db()


def submit(client, evaluation, version=None):
    evaluation.refresh_from_db()
    return client.post(
        reverse("filing:submit", args=[evaluation.pk]),
        {"version": str(evaluation.version if version is None else version)},
        follow=True,
    )


def events(evaluation):
    return list(
        EvaluationEvent.objects.filter(evaluation=evaluation).values_list(
            "actor__username", "action", "from_status", "to_status"
        )
    )


@pytest.fixture
def ready(seed_eval, users):
    """The seed evaluation with the five missing reasons given: nothing blocks any more."""
    give_reasons(seed_eval, users["filer"])
    return seed_eval


# ---------------------------------------------------------------------------- the problems


def test_the_seed_has_exactly_the_five_missing_reasons_blocking(seed_eval):
    result = review(evaluations_for_scoring().get(pk=seed_eval.pk))
    assert [(p.step, p.anchor, p.message) for p in result.blocking] == [
        ("management", "ind-" + code.replace(".", "-"), message)
        for code, message in BLOCKING.items()
    ]


def test_review_page_lists_them_with_links_to_step_and_anchor(filer_client, seed_eval):
    response = filer_client.get(step_url(seed_eval, "review"))
    html = response.content.decode()
    card = re.search(
        r'<div class="card border-danger mb-3" data-testid="blocking">(.*?)</ul>', html, re.S
    )
    assert card, "the blocking card"
    assert "提交前须处理的问题（5）" in card.group(1)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', card.group(1))
    management = step_url(seed_eval, "management")
    assert links == [
        (f"{management}#ind-{code.replace('.', '-')}", message)
        for code, message in BLOCKING.items()
    ]
    # each anchor exists on the management page
    page = filer_client.get(management).content.decode()
    for code in BLOCKING:
        assert f'id="ind-{code.replace(".", "-")}"' in page
    # and the submit button is disabled meanwhile
    assert re.search(r'data-testid="submit"\s+disabled', html)
    # the step list counts them against 评分指标 and 核对与提交
    assert re.findall(r'class="step-state warn" title="[^"]*">(\d+)<', html) == ["5", "5"]


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def _dead_links(client, evaluation) -> list[tuple[str, str]]:
    """The links of 核对与提交 (problems and warnings) whose #anchor is not on the step page."""
    html = client.get(step_url(evaluation, "review")).content.decode()
    links = re.findall(r'<a href="/evaluations/\d+/step/(\w+)/#([^"]+)">([^<]*)</a>', html)
    assert links
    pages: dict[str, set[str]] = {}
    dead = []
    for step, anchor, message in links:
        if step not in pages:
            pages[step] = _ids(client.get(step_url(evaluation, step)).content.decode())
        if anchor not in pages[step]:
            dead.append((anchor, message))
    return dead


def test_every_problem_link_of_the_seed_leads_to_its_field(filer_client, seed_eval):
    assert _dead_links(filer_client, seed_eval) == []


def test_every_problem_link_of_a_blank_evaluation_leads_to_its_field(filer2_client, blank_eval):
    # missing figures, report sections, the overall goal, the empty 履职效能 …
    text = text_of(filer2_client.get(step_url(blank_eval, "review")))
    assert "未填写年度整体绩效目标" in text
    assert "未填写：支出决算总额" in text
    assert "未填写报告正文：部门概况" in text
    assert _dead_links(filer2_client, blank_eval) == []


def test_a_duty_rows_problem_link_leads_to_the_row(filer2_client, blank_eval, users):
    """The link of a 履职效能 row's problem (#duty-2-1-1) must find the row on the page."""
    services.evaluation_save_duty(
        blank_eval.pk,
        users["filer2"],
        1,
        overall_goal="目标",
        goal_completion="",
        goal_shortfall_reason="",
        tasks=[
            services.TaskInput(
                "任务",
                (
                    services.RowInput(
                        "指标", D(30), target_value=D(5), actual_value=D(3), claimed=D(30)
                    ),
                ),
            )
        ],
    )
    text = text_of(filer2_client.get(step_url(blank_eval, "review")))
    assert "2.1.1 指标：自评分与计算得分不一致，须填写理由" in text
    assert _dead_links(filer2_client, blank_eval) == []


def test_giving_one_reason_removes_one_problem(filer_client, seed_eval, users):
    give_reasons(seed_eval, users["filer"], codes=["1.1.1"])
    text = text_of(filer_client.get(step_url(seed_eval, "review")))
    assert "提交前须处理的问题（4）" in text
    assert BLOCKING["1.1.1"] not in text


def test_home_counts_the_blocking_problems(filer_client, seed_eval, users):
    assert "5项" in text_of(filer_client.get(reverse("filing:home")))
    give_reasons(seed_eval, users["filer"])
    assert "可提交" in text_of(filer_client.get(reverse("filing:home")))


# ---------------------------------------------------------------------------- submitting


def test_submit_is_refused_while_problems_remain(filer_client, seed_eval):
    response = submit(filer_client, seed_eval)
    assert response.redirect_chain == [(step_url(seed_eval, "review"), 302)]
    assert "尚有5个问题需要处理后才能提交。" in text_of(response)
    seed_eval.refresh_from_db()
    assert seed_eval.status == "draft"
    assert seed_eval.submitted_at is None
    assert events(seed_eval) == []


def test_submission_blocked_carries_the_problems(seed_eval, users):
    with pytest.raises(services.SubmissionBlocked) as info:
        services.evaluation_submit(seed_eval.pk, users["filer"], seed_eval.version)
    assert [p.message for p in info.value.problems] == list(BLOCKING.values())


def test_submit_succeeds_once_the_reasons_are_given(filer_client, ready):
    page = filer_client.get(step_url(ready, "review"))
    assert "各项检查均已通过，可以提交。" in text_of(page)
    # the submit form on the page carries the current version, and its button is enabled
    action = reverse("filing:submit", args=[ready.pk])
    form = re.search(
        rf'<form method="post" action="{action}".*?</form>', page.content.decode(), re.S
    )
    assert form
    assert f'name="version" value="{ready.version}"' in form.group(0)
    assert re.search(r'data-testid="submit"\s*>', form.group(0))
    response = submit(filer_client, ready)
    assert response.redirect_chain == [(step_url(ready, "review"), 302)]
    assert "已提交。审核人处理前，你可以撤回后继续修改。" in text_of(response)
    ready.refresh_from_db()
    assert ready.status == "submitted"
    assert ready.submitted_at is not None
    assert events(ready) == [("filer", "submit", "draft", "submitted")]
    page = text_of(response)
    assert "已提交" in page
    assert "撤回提交" in page
    assert "提交自评" not in page


def test_a_double_submit_is_refused_and_writes_no_second_event(filer_client, ready):
    version = ready.version
    submit(filer_client, ready, version)
    submitted_at = type(ready).objects.get(pk=ready.pk).submitted_at
    response = submit(filer_client, ready, version)  # the second click, same form
    assert "这份自评当前状态为“已提交”，不能提交。" in text_of(response)
    ready.refresh_from_db()
    assert ready.status == "submitted"
    assert ready.submitted_at == submitted_at
    assert len(events(ready)) == 1


def test_a_stale_version_on_submit_is_refused(filer_client, ready, users):
    response = submit(filer_client, ready, version=ready.version - 1)
    assert "已被他人修改" in text_of(response)
    with pytest.raises(services.StaleVersion) as info:
        services.evaluation_submit(ready.pk, users["filer"], ready.version - 1)
    assert info.value.current == ready.version
    ready.refresh_from_db()
    assert ready.status == "draft"
    assert events(ready) == []


def test_submit_needs_post(filer_client, ready):
    assert filer_client.get(reverse("filing:submit", args=[ready.pk])).status_code == 405
    ready.refresh_from_db()
    assert ready.status == "draft"


def test_another_filer_cannot_submit(filer2_client, ready, users):
    with pytest.raises(services.NotFound):
        services.evaluation_submit(ready.pk, users["filer2"], ready.version)
    response = filer2_client.post(
        reverse("filing:submit", args=[ready.pk]), {"version": str(ready.version)}
    )
    assert response.status_code == 404
    ready.refresh_from_db()
    assert ready.status == "draft"
    assert events(ready) == []


# ---------------------------------------------------------------------------- after submitting


@pytest.fixture
def submitted(ready, users):
    services.evaluation_submit(ready.pk, users["filer"], ready.version)
    ready.refresh_from_db()
    assert ready.status == "submitted"
    return ready


def test_every_save_service_raises_not_editable(submitted, users):
    user, version = users["filer"], submitted.version
    calls = [
        lambda: services.evaluation_save_basic(
            submitted.pk, user, version, department={"staff_actual": 1}, sections={}
        ),
        lambda: services.evaluation_save_figures(
            submitted.pk, user, version, values={"initial_budget": D(1)}
        ),
        lambda: services.evaluation_save_answers(
            submitted.pk, user, version, answers={"1.1.1": services.AnswerInput(claimed=D(2))}
        ),
        lambda: services.evaluation_save_duty(
            submitted.pk,
            user,
            version,
            overall_goal="",
            goal_completion="",
            goal_shortfall_reason="",
            tasks=[],
        ),
        lambda: services.evaluation_save_sections(
            submitted.pk, user, version, texts={"problems": "改"}
        ),
    ]
    before = snapshot(submitted)
    for call in calls:
        with pytest.raises(services.NotEditable) as info:
            call()
        assert "当前状态为“已提交”，不能修改" in info.value.message
    assert snapshot(submitted) == before


def test_next_years_filing_does_not_change_a_submitted_year(submitted, users):
    """机构设置与人员编制 are kept per evaluation: the next year's basic step must not rewrite
    a submitted year's counts."""
    fiscal_year = submitted.fiscal_year
    next_year = FiscalYear.objects.create(
        region=fiscal_year.region, year=2023, rubric=fiscal_year.rubric
    )
    evaluation_2023 = Evaluation.objects.create(
        department=submitted.department, fiscal_year=next_year, rubric=fiscal_year.rubric
    )
    before = snapshot(submitted)
    services.evaluation_save_basic(
        evaluation_2023.pk, users["filer"], 1, department={"staff_actual": 30}, sections={}
    )
    evaluation_2023.refresh_from_db()
    assert evaluation_2023.staff_actual == 30
    after = snapshot(submitted)
    # the department's current numbers may follow the newest year; the submitted year's not
    assert after.pop("department") == [1, 0, 26, 0, 0, 30, 8]
    before.pop("department")
    assert after == before


@pytest.mark.parametrize("step", EDIT_STEPS)
def test_step_posts_change_nothing_after_submission(filer_client, submitted, step):
    page = filer_client.get(step_url(submitted, step))
    assert_fields_disabled(page.content.decode())
    assert "保存草稿" not in text_of(page)
    data = form_data(page)
    changes = {
        "basic": {"staff_actual": "99"},
        "figures": {"initial_budget": "1.00"},
        "management": {"ind-1-1-1-reason": "改"},
        "duty": {"overall_goal": "改"},
        "report": {"problems": "改"},
    }[step]
    data.update(changes, goto=step)
    before = snapshot(submitted)
    response = filer_client.post(step_url(submitted, step), data, follow=True)
    assert response.redirect_chain == [(step_url(submitted, step), 302)]
    assert "这份自评当前不能修改。" in text_of(response)
    assert snapshot(submitted) == before


def test_withdraw_brings_it_back_to_draft(filer_client, submitted):
    response = filer_client.post(reverse("filing:withdraw", args=[submitted.pk]), follow=True)
    assert response.redirect_chain == [(step_url(submitted, "review"), 302)]
    assert "已撤回，可继续修改后重新提交。" in text_of(response)
    submitted.refresh_from_db()
    assert submitted.status == "draft"
    assert events(submitted) == [
        ("filer", "submit", "draft", "submitted"),
        ("filer", "withdraw", "submitted", "draft"),
    ]
    # editable again, and it can be submitted again
    data = form_data(filer_client.get(step_url(submitted, "report")))
    data.update(problems="撤回后修改", goto="report")
    assert filer_client.post(step_url(submitted, "report"), data).status_code == 302
    submit(filer_client, submitted)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert len(events(submitted)) == 3


def test_withdraw_of_a_draft_is_refused(filer_client, seed_eval):
    response = filer_client.post(reverse("filing:withdraw", args=[seed_eval.pk]), follow=True)
    assert "这份自评当前状态为“填报中”，不能撤回。" in text_of(response)
    assert events(seed_eval) == []


def test_another_filer_cannot_withdraw(filer2_client, submitted, users):
    with pytest.raises(services.NotFound):
        services.evaluation_withdraw(submitted.pk, users["filer2"])
    response = filer2_client.post(reverse("filing:withdraw", args=[submitted.pk]))
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_the_reviewer_cannot_withdraw_for_the_filer(submitted, users):
    with pytest.raises(services.NotAllowed):
        services.evaluation_withdraw(submitted.pk, users["reviewer"])
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
