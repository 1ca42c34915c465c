"""绩效目标申报 → 自评 (issue 14 item 2): declared, submitted, returned or approved through the
one transition table; the approved targets become the evaluation's 履职效能 rows; changing an
approved target or its points at year end needs a reason, is recorded, and warns the
reviewer; an actual that restates the target is flagged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import services, workflow
from evaluations.models import AuditLog, DutyIndicator, EvaluationEvent, TargetDeclaration
from evaluations.selectors import evaluations_for_scoring
from evaluations.services import RowInput, TaskInput
from evaluations.submission import review

from .filing_helpers import field_error, form_data, step_url, text_of

GOAL = "围绕区委中心工作，完成年度履职任务。"


def declared_tasks() -> list[TaskInput]:
    return [
        TaskInput(
            name="任务1-加强思想政治引领",
            rows=(
                RowInput(
                    name="开展政治理论学习活动",
                    target_text="不少于20次",
                    operator=">=",
                    target_value=Decimal(20),
                    unit="次",
                    points=Decimal(30),
                ),
                RowInput(
                    name="提案办复率",
                    target_text="100%",
                    operator=">=",
                    target_value=Decimal(100),
                    unit="%",
                    points=Decimal(20),
                ),
            ),
        )
    ]


@pytest.fixture
def filer2(users):
    return users["filer2"]


@pytest.fixture
def declared(blank_eval, filer2):
    """filer2's 示例局 declaration, saved and submitted."""
    saved = services.declaration_save(
        blank_eval.pk, filer2, 1, overall_goal=GOAL, tasks=declared_tasks()
    )
    services.declaration_submit(blank_eval.pk, filer2, saved.version)
    return blank_eval


@pytest.fixture
def approved(declared, users):
    services.declaration_approve(declared.pk, users["reviewer"], "同意")
    declared.refresh_from_db()
    return declared


def live_rows(evaluation) -> list[DutyIndicator]:
    return list(
        DutyIndicator.objects.filter(task__evaluation=evaluation, deleted_at__isnull=True).order_by(
            "task__position", "position"
        )
    )


def duty_inputs(evaluation, **changes) -> list[TaskInput]:
    """The evaluation's live tasks and rows as the 履职效能 step would send them back, with
    `changes` applied to the first row."""
    tasks = []
    for task in evaluation.tasks.all():
        rows = []
        for i, r in enumerate(task.rows.all()):
            values = {
                name: getattr(r, name)
                for name in RowInput.__dataclass_fields__
                if name != "id" and hasattr(r, name)
            }
            if i == 0 and task.position == 1:
                values.update(changes)
            rows.append(RowInput(**values, id=r.pk))
        tasks.append(TaskInput(name=task.name, rows=tuple(rows), id=task.pk))
    return tasks


def save_duty(evaluation, user, tasks) -> None:
    evaluation.refresh_from_db()
    services.evaluation_save_duty(
        evaluation.pk,
        user,
        evaluation.version,
        overall_goal=evaluation.overall_goal,
        goal_completion="",
        goal_shortfall_reason="",
        tasks=tasks,
    )


# ---------------------------------------------------------------------------- the table


def test_declaration_transitions_are_in_the_one_table():
    declare = {a: t for a, t in workflow.TRANSITIONS.items() if t.subject == workflow.DECLARATION}
    assert {a: ({s.value for s in t.sources}, t.target.value) for a, t in declare.items()} == {
        "declare_submit": ({"draft", "returned"}, "submitted"),
        "declare_return": ({"submitted"}, "returned"),
        "declare_approve": ({"submitted"}, "approved"),
    }
    assert declare["declare_submit"].roles == {workflow.Role.FILER}
    assert declare["declare_approve"].roles == {workflow.Role.REVIEWER}
    assert declare["declare_return"].comment_required


# ---------------------------------------------------------------------------- end to end


def test_declaration_approval_then_a_changed_target_with_its_reason(declared, users, filer2):
    reviewer = users["reviewer"]
    declaration = TargetDeclaration.objects.get(evaluation=declared)
    assert declaration.status == "submitted"
    # a submitted declaration cannot be edited
    with pytest.raises(services.NotEditable):
        services.declaration_save(
            declared.pk, filer2, declaration.version, overall_goal="x", tasks=[]
        )
    services.declaration_approve(declared.pk, reviewer, "同意")

    declared.refresh_from_db()
    assert declared.overall_goal == GOAL
    rows = live_rows(declared)
    assert [(r.name, r.target_value, r.points) for r in rows] == [
        ("开展政治理论学习活动", Decimal(20), Decimal(30)),
        ("提案办复率", Decimal(100), Decimal(20)),
    ]
    assert rows[0].approved_target == {
        "target_text": "不少于20次",
        "operator": ">=",
        "target_value": "20",
        "target_max": None,
        "target_date": None,
        "unit": "次",
        "points": "30",
    }
    actions = list(
        EvaluationEvent.objects.filter(evaluation=declared).values_list(
            "action", "from_status", "to_status"
        )
    )
    assert actions == [
        ("declare_submit", "draft", "submitted"),
        ("declare_approve", "submitted", "approved"),
    ]
    # round opening's hook: the approved targets, preferred to last year's rows
    targets = services.targets_for(declared)
    assert [r.name for r in targets[0].rows] == ["开展政治理论学习活动", "提案办复率"]

    # year end: actuals only — no reason needed, no warning about the target
    save_duty(declared, filer2, duty_inputs(declared, actual_value=Decimal(80)))
    result = review(evaluations_for_scoring().get(pk=declared.pk))
    assert not [w for w in result.warnings if "批复" in w.message]

    # the target lowered and its points changed without a reason: refused, nothing saved
    row = live_rows(declared)[0]
    with pytest.raises(services.FieldInvalid) as refused:
        save_duty(
            declared,
            filer2,
            duty_inputs(declared, target_value=Decimal(15), points=Decimal(25)),
        )
    assert refused.value.field == f"row:{row.pk}:target_change_reason"
    assert "指标值、分值与批复的绩效目标不同" in refused.value.message
    assert live_rows(declared)[0].target_value == Decimal(20)
    assert not AuditLog.objects.filter(event="target_changed").exists()

    # with the reason: saved, recorded with old and new values, a warning for the reviewer
    reason = "受疫情影响，下半年集中学习活动减少。"
    save_duty(
        declared,
        filer2,
        duty_inputs(
            declared,
            target_value=Decimal(15),
            points=Decimal(25),
            target_change_reason=reason,
        ),
    )
    row = live_rows(declared)[0]
    assert (row.target_value, row.points, row.target_change_reason) == (
        Decimal(15),
        Decimal(25),
        reason,
    )
    log = AuditLog.objects.get(event="target_changed")
    assert log.user == filer2
    assert log.detail["reason"] == reason
    assert {(c["label"], c["old"], c["new"]) for c in log.detail["changes"]} == {
        ("指标值", "20", "15"),
        ("分值", "30", "25"),
    }
    result = review(evaluations_for_scoring().get(pk=declared.pk))
    warning = next(w for w in result.warnings if "批复的绩效目标" in w.message)
    assert "指标值由“20”改为“15”" in warning.message
    assert reason in warning.message and warning.step == "duty"
    # saving again unchanged records nothing more
    save_duty(declared, filer2, duty_inputs(declared))
    assert AuditLog.objects.filter(event="target_changed").count() == 1


def test_return_needs_a_comment_and_allows_editing_again(declared, users, filer2):
    with pytest.raises(services.ServiceError, match="须填写意见"):
        services.declaration_return(declared.pk, users["reviewer"], "  ")
    services.declaration_return(declared.pk, users["reviewer"], "请补充满意度指标。")
    declaration = TargetDeclaration.objects.get(evaluation=declared)
    assert declaration.status == "returned"
    services.declaration_save(
        declared.pk, filer2, declaration.version, overall_goal=GOAL, tasks=declared_tasks()
    )
    assert not live_rows(declared)  # nothing reaches the evaluation before approval


def test_who_may_do_what(declared, users, filer2, other_region):
    with pytest.raises(services.NotAllowed):
        services.declaration_approve(declared.pk, filer2)
    with pytest.raises(services.NotFound):
        services.declaration_approve(declared.pk, other_region.reviewer)
    with pytest.raises(services.NotFound):
        services.declaration_save(declared.pk, users["filer"], 2, overall_goal="x", tasks=[])
    services.declaration_approve(declared.pk, users["reviewer"])
    with pytest.raises(services.NotAllowed, match="绩效目标申报当前状态为“已批复”"):
        services.declaration_approve(declared.pk, users["reviewer"])


def test_an_incomplete_declaration_cannot_be_submitted(blank_eval, filer2):
    tasks = declared_tasks()
    half = [TaskInput(name=tasks[0].name, rows=tasks[0].rows[:1])]
    saved = services.declaration_save(blank_eval.pk, filer2, 1, overall_goal="", tasks=half)
    with pytest.raises(services.ServiceError) as refused:
        services.declaration_submit(blank_eval.pk, filer2, saved.version)
    assert "未填写年度整体绩效目标" in refused.value.message
    assert "分值合计为30，应为50" in refused.value.message
    assert TargetDeclaration.objects.get(evaluation=blank_eval).status == "draft"


def test_a_stale_declaration_save_is_refused(blank_eval, filer2):
    services.declaration_save(blank_eval.pk, filer2, 1, overall_goal=GOAL, tasks=[])
    with pytest.raises(services.StaleVersion):
        services.declaration_save(blank_eval.pk, filer2, 1, overall_goal="旧页面", tasks=[])


def test_texts_are_checked(blank_eval, filer2):
    with pytest.raises(services.FieldInvalid):
        services.declaration_save(blank_eval.pk, filer2, 1, overall_goal="目标\x00", tasks=[])


def test_approval_is_refused_once_the_evaluation_is_submitted(declared, users):
    from evaluations.models import Evaluation

    Evaluation.objects.filter(pk=declared.pk).update(status="submitted")
    with pytest.raises(services.ServiceError, match="批复的目标无法转为自评的指标行"):
        services.declaration_approve(declared.pk, users["reviewer"])
    assert TargetDeclaration.objects.get(evaluation=declared).status == "submitted"


# ---------------------------------------------------------------------------- pages


def test_the_filers_page_saves_and_submits(blank_eval, filer2_client):
    url = reverse("filing:targets", args=[blank_eval.pk])
    page = filer2_client.get(url)
    assert page.status_code == 200 and "绩效目标申报" in text_of(page)
    data = form_data(page)
    data.update(
        {
            "overall_goal": GOAL,
            "tasks-TOTAL_FORMS": "1",
            "tasks-0-name": "任务1-加强思想政治引领",
            "tasks-0-ORDER": "1",
            "task-0-rows-TOTAL_FORMS": "2",
            "task-0-rows-INITIAL_FORMS": "0",
            "task-0-rows-MIN_NUM_FORMS": "0",
            "task-0-rows-MAX_NUM_FORMS": "20",
            "task-0-rows-0-name": "开展政治理论学习活动",
            "task-0-rows-0-target_text": "不少于20次",
            "task-0-rows-0-operator": ">=",
            "task-0-rows-0-target_value": "20",
            "task-0-rows-0-unit": "次",
            "task-0-rows-0-points": "30",
            "task-0-rows-0-ORDER": "1",
            "task-0-rows-1-name": "提案办复率",
            "task-0-rows-1-operator": ">=",
            "task-0-rows-1-target_value": "100",
            "task-0-rows-1-unit": "%",
            "task-0-rows-1-points": "",  # missing: the page comes back with the input kept
            "task-0-rows-1-ORDER": "2",
        }
    )
    refused = filer2_client.post(url, {**data, "submit": "1"})
    assert refused.status_code == 200
    assert field_error(refused, "id_task-0-rows-1-points") == "请填写分值"
    assert "开展政治理论学习活动" in refused.content.decode()
    assert not TargetDeclaration.objects.filter(evaluation=blank_eval).exists()
    data["task-0-rows-1-points"] = "20"
    done = filer2_client.post(url, {**data, "submit": "1"}, follow=True)
    assert "已提交，等待财政局批复" in text_of(done)
    declaration = TargetDeclaration.objects.get(evaluation=blank_eval)
    assert declaration.status == "submitted"
    assert [r["points"] for r in declaration.tasks[0]["rows"]] == ["30", "20"]


def test_the_review_page_approves(declared, reviewer_client, filer_client):
    page = reviewer_client.get(reverse("review:evaluation", args=[declared.pk]))
    html = page.content.decode()
    assert 'data-testid="declaration"' in html and "开展政治理论学习活动" in html
    assert 'data-testid="declaration-approve"' in html
    reviewer_client.post(reverse("review:declaration", args=[declared.pk, "approve"]))
    assert TargetDeclaration.objects.get(evaluation=declared).status == "approved"
    assert len(live_rows(declared)) == 2
    # another department's filer sees nothing of it
    assert filer_client.get(reverse("filing:targets", args=[declared.pk])).status_code == 404


def test_a_return_without_a_comment_is_refused_on_the_review_page(declared, reviewer_client):
    url = reverse("review:declaration", args=[declared.pk, "return"])
    page = reviewer_client.post(url, {"comment": ""}, follow=True)
    assert "须填写意见" in text_of(page)
    assert TargetDeclaration.objects.get(evaluation=declared).status == "submitted"


def test_the_duty_step_asks_for_the_reason_next_to_the_field(approved, filer2_client):
    page = filer2_client.get(step_url(approved, "duty"))
    html = page.content.decode()
    assert 'data-testid="approved-target"' in html and "批复的绩效目标" in html
    data = form_data(page)
    row = next(k for k, v in data.items() if v == "开展政治理论学习活动")
    prefix = row.removesuffix("-name")
    data[f"{prefix}-target_value"] = "15"
    data[f"{prefix}-actual_value"] = "16"
    refused = filer2_client.post(step_url(approved, "duty"), data)
    assert refused.status_code == 200
    message = field_error(refused, f"id_{prefix}-target_change_reason")
    assert message and "请填写调整理由" in message
    assert 'value="16"' in refused.content.decode()  # what was typed is kept
    data[f"{prefix}-target_change_reason"] = "年中调整工作安排。"
    saved = filer2_client.post(step_url(approved, "duty"), data)
    assert saved.status_code == 302
    assert live_rows(approved)[0].target_value == Decimal(15)
    # shown to the filer in 核对与提交 and to the reviewer on the review page
    check = text_of(filer2_client.get(step_url(approved, "review")))
    assert "与批复的绩效目标不同" in check and "年中调整工作安排" in check


def test_the_reviewer_sees_the_changed_target(approved, users, reviewer_client, filer2):
    save_duty(
        approved,
        filer2,
        duty_inputs(approved, points=Decimal(25), target_change_reason="调整分值。"),
    )
    page = text_of(reviewer_client.get(reverse("review:evaluation", args=[approved.pk])))
    assert "分值由“30”改为“25”" in page and "调整分值。" in page


# ---------------------------------------------------------------------------- restated actuals


def test_an_actual_restating_the_target_is_flagged_however_it_is_typed():
    from rubric.methods import restates

    target = "开展政治理论学习活动不少于20次"
    assert restates("开展政治理论学习活动不少于２０次。", target)
    assert restates(" 开展政治理论学习活动 不少于20次", target)
    assert not restates("开展政治理论学习活动80多次", target)
    assert not restates("", target)


def test_a_restated_actual_is_shown_to_filer_and_reviewer(approved, filer2, reviewer_client):
    save_duty(approved, filer2, duty_inputs(approved, actual_text="不少于２０次。"))
    result = review(evaluations_for_scoring().get(pk=approved.pk))
    assert any("文字相同" in w.message for w in result.warnings)
    page = text_of(reviewer_client.get(reverse("review:evaluation", args=[approved.pk])))
    assert "实际完成指标值与年度指标值文字相同" in page


# ---------------------------------------------------------------------------- policy = services

DECLARATION_STATES = ("draft", "submitted", "returned", "approved")


@pytest.mark.parametrize("state", DECLARATION_STATES)
def test_a_declaration_service_succeeds_iff_the_policy_allows(
    blank_eval, users, other_region, state
):
    from django.db import transaction

    from evaluations import access

    saved = services.declaration_save(
        blank_eval.pk, users["filer2"], 1, overall_goal=GOAL, tasks=declared_tasks()
    )
    actors = {
        "filer": users["filer2"],
        "other_filer": users["filer"],
        "reviewer": users["reviewer"],
        "other_reviewer": other_region.reviewer,
        "admin": users["admin"],
    }
    calls = {
        "declare_edit": lambda u: services.declaration_save(
            blank_eval.pk, u, saved.version, overall_goal=GOAL, tasks=declared_tasks()
        ),
        "declare_submit": lambda u: services.declaration_submit(blank_eval.pk, u, saved.version),
        "declare_return": lambda u: services.declaration_return(blank_eval.pk, u, "请修改。"),
        "declare_approve": lambda u: services.declaration_approve(blank_eval.pk, u),
    }
    problems = []
    for role, user in actors.items():
        for action, call in calls.items():
            with transaction.atomic():
                TargetDeclaration.objects.filter(evaluation=blank_eval).update(status=state)
                blank_eval.refresh_from_db()
                allowed = access.access_for(user, blank_eval).can(action)
                try:
                    call(user)
                except services.ServiceError as exc:
                    outcome = False
                    if role.startswith("other_") and not isinstance(exc, services.NotFound):
                        problems.append(f"{role} {action} {state}: {exc.message} (not a 404)")
                else:
                    outcome = True
                transaction.set_rollback(True)
            expected = (role == "filer" and action in ("declare_edit", "declare_submit")) or (
                role == "reviewer" and action in ("declare_return", "declare_approve")
            )
            expected = (
                expected
                and state
                in workflow.TRANSITIONS.get(action, workflow.TRANSITIONS["declare_submit"]).sources
            )
            if not (outcome == allowed == expected):
                problems.append(f"[{state}] {role} {action}: policy {allowed}, service {outcome}")
    assert not problems, "\n".join(problems)
