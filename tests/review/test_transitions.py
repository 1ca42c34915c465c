"""The workflow, exhaustively: every state × action × role, through the services.

The expected table (SPEC) is written out here, independently of workflow.TRANSITIONS, and the
first test checks that the two agree; every other test checks the services against SPEC.
(publish is checked both through workflow.allowed and through services.evaluation_publish,
which has landed since this matrix was specified.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluations import services, workflow
from evaluations.models import Evaluation, EvaluationEvent, SubmissionSnapshot
from evaluations.selectors import roles_for
from evaluations.workflow import Role

from .helpers import fingerprint, set_status

STATES = ("draft", "submitted", "returned", "approved", "published")
ACTIONS = ("submit", "withdraw", "return", "approve", "publish", "reopen")
SERVICE_ACTIONS = ACTIONS  # publish: services.evaluation_publish (renders and stores the PDF)
ACTORS = ("filer", "other_filer", "reviewer", "other_reviewer", "admin")
OUTSIDERS = {"other_filer", "other_reviewer"}  # see nothing of this evaluation: NotFound

# action: (source states, target state, the one role allowed, comment required)
SPEC = {
    "submit": ({"draft", "returned"}, "submitted", "filer", False),
    "withdraw": ({"submitted"}, "draft", "filer", False),
    "return": ({"submitted"}, "returned", "reviewer", True),
    "approve": ({"submitted"}, "approved", "reviewer", False),
    "publish": ({"approved"}, "published", "reviewer", False),
    "reopen": ({"published"}, "returned", "admin", True),
}
COMMENTS = {"return": "请补充1.1.1的佐证材料。", "reopen": "公开稿有误，重新打开。"}
EXPECTED_ROLES = {
    "filer": {Role.FILER},
    "other_filer": set(),
    "reviewer": {Role.REVIEWER},
    "other_reviewer": set(),
    "admin": {Role.ADMIN},
}


def expected(action: str, state: str, actor: str) -> str:
    """'ok', 'NotFound' or 'NotAllowed'."""
    if actor in OUTSIDERS:
        return "NotFound"
    sources, _target, role, _comment = SPEC[action]
    return "ok" if state in sources and actor == role else "NotAllowed"


@pytest.fixture
def actors(users, other_region):
    return {
        "filer": users["filer"],
        "other_filer": users["filer2"],
        "reviewer": users["reviewer"],
        "other_reviewer": other_region.reviewer,
        "admin": users["admin"],
    }


def run(action: str, evaluation: Evaluation, actor) -> Evaluation:
    comment = COMMENTS.get(action, "")
    if action == "submit":
        return services.evaluation_submit(evaluation.pk, actor, evaluation.version)
    if action == "withdraw":
        return services.evaluation_withdraw(evaluation.pk, actor)
    if action == "return":
        return services.evaluation_return(evaluation.pk, actor, comment)
    if action == "approve":
        return services.evaluation_approve(evaluation.pk, actor)
    if action == "reopen":
        return services.evaluation_reopen(evaluation.pk, actor, comment)
    if action == "publish":
        return services.evaluation_publish(evaluation.pk, actor)
    raise AssertionError(action)


def test_transition_table_is_the_specified_one():
    # the evaluation's own transitions (the 绩效目标申报's, subject DECLARATION, are specified
    # in tests/evaluations/test_declaration.py)
    own = {a for a, t in workflow.TRANSITIONS.items() if t.subject == workflow.EVALUATION}
    assert own == set(ACTIONS)
    for action, (sources, target, role, comment) in SPEC.items():
        t = workflow.TRANSITIONS[action]
        assert {s.value for s in t.sources} == sources, action
        assert t.target == target, action
        assert t.roles == {Role(role)}, action
        assert t.comment_required is comment, action
    assert set(workflow.Status.values) == set(STATES)
    assert {"draft", "returned"} == workflow.EDITABLE


@pytest.mark.parametrize("actor", ACTORS)
def test_roles_of_each_actor(submittable, actors, actor):
    assert roles_for(actors[actor], submittable) == EXPECTED_ROLES[actor]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", SERVICE_ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_service_transition(submittable, actors, state, action, actor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # where a publication stores its PDF
    evaluation = set_status(submittable, state)
    user = actors[actor]
    before = fingerprint(evaluation)
    outcome = expected(action, state, actor)
    # the table and the services' own check agree on every combination
    assert workflow.allowed(action, state, roles_for(user, evaluation)) is (outcome == "ok")

    if outcome != "ok":
        error = services.NotFound if outcome == "NotFound" else services.NotAllowed
        with pytest.raises(error) as exc:
            run(action, evaluation, user)
        assert exc.value.message  # a message for the user
        assert fingerprint(evaluation) == before
        return

    run(action, evaluation, user)
    evaluation.refresh_from_db()
    _sources, target, _role, _comment = SPEC[action]
    assert evaluation.status == target
    events = list(EvaluationEvent.objects.filter(evaluation=evaluation))
    assert len(events) == before["events"] + 1 == 1
    event = events[0]
    assert (event.actor, event.action, event.from_status, event.to_status, event.comment) == (
        user,
        action,
        state,
        target,
        COMMENTS.get(action, ""),
    )
    snapshots = SubmissionSnapshot.objects.filter(evaluation=evaluation).count()
    if action == "submit":
        assert snapshots == 1
        assert evaluation.submitted_at is not None
        assert evaluation.review_started_at is None
    else:
        assert snapshots == 0
    if action == "publish":
        report = evaluation.publications.get()
        assert report.file.read(5) == b"%PDF-"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("state", STATES)
def test_publish_is_allowed_only_to_the_regions_reviewer_on_an_approved_evaluation(
    submittable, actors, state, actor
):
    evaluation = set_status(submittable, state)
    allowed = workflow.allowed("publish", state, roles_for(actors[actor], evaluation))
    assert allowed is (expected("publish", state, actor) == "ok")


def test_unknown_action_is_never_allowed():
    assert workflow.allowed("delete", "draft", {Role.ADMIN, Role.FILER, Role.REVIEWER}) is False


# ---------------------------------------------------------------------------- comments


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_return_requires_a_comment(submitted, users, comment):
    before = fingerprint(submitted)
    with pytest.raises(services.ServiceError) as exc:
        services.evaluation_return(submitted.pk, users["reviewer"], comment)
    assert "意见" in exc.value.message
    assert fingerprint(submitted) == before


@pytest.mark.parametrize("comment", ["", "   "])
def test_reopen_requires_a_reason(submittable, users, comment):
    evaluation = set_status(submittable, "published")
    before = fingerprint(evaluation)
    with pytest.raises(services.ServiceError) as exc:
        services.evaluation_reopen(evaluation.pk, users["admin"], comment)
    assert "意见" in exc.value.message
    assert fingerprint(evaluation) == before


def test_comments_are_stored_stripped(submitted, users):
    services.evaluation_return(submitted.pk, users["reviewer"], "  请补充材料。 \n")
    assert (
        EvaluationEvent.objects.get(evaluation=submitted, action="return").comment == "请补充材料。"
    )


# ---------------------------------------------------------------------------- withdraw


def test_withdraw_refused_once_the_reviewer_annotated(submitted, users):
    services.annotation_add(
        submitted.pk, users["reviewer"], target="ind:1.1.1", label="预算完成率", text="请核对"
    )
    before = fingerprint(submitted)
    assert before["review_started_at"] is not None
    with pytest.raises(services.NotAllowed) as exc:
        services.evaluation_withdraw(submitted.pk, users["filer"])
    assert "已开始审核" in exc.value.message
    assert fingerprint(submitted) == before


def test_withdraw_refused_once_the_reviewer_set_a_reviewed_score(submitted, users):
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code="1.1.1", score=Decimal("1.57"), reason="按规则"
    )
    before = fingerprint(submitted)
    assert before["review_started_at"] is not None
    with pytest.raises(services.NotAllowed):
        services.evaluation_withdraw(submitted.pk, users["filer"])
    assert fingerprint(submitted) == before


def test_withdraw_allowed_before_the_review_started_and_resubmission_resets_it(submitted, users):
    services.evaluation_withdraw(submitted.pk, users["filer"])
    submitted.refresh_from_db()
    assert submitted.status == "draft"
    services.evaluation_submit(submitted.pk, users["filer"], submitted.version)
    services.annotation_add(
        submitted.pk, users["reviewer"], target="general", label="整份自评", text="请核对"
    )
    services.evaluation_return(submitted.pk, users["reviewer"], "请修改")
    submitted.refresh_from_db()
    services.evaluation_submit(submitted.pk, users["filer"], submitted.version)
    submitted.refresh_from_db()
    assert submitted.review_started_at is None  # a new round of review
    actions = list(submitted.events.values_list("action", flat=True))
    assert actions == ["submit", "withdraw", "submit", "return", "submit"]


# ---------------------------------------------------------------------------- twice


def test_double_submit_is_refused(submittable, users):
    services.evaluation_submit(submittable.pk, users["filer"], submittable.version)
    before = fingerprint(submittable)
    with pytest.raises(services.NotAllowed) as exc:
        services.evaluation_submit(submittable.pk, users["filer"], submittable.version)
    assert "已提交" in exc.value.message
    assert fingerprint(submittable) == before
    assert submittable.events.filter(action="submit").count() == 1


def test_double_approve_is_refused(submitted, users):
    services.evaluation_approve(submitted.pk, users["reviewer"])
    before = fingerprint(submitted)
    with pytest.raises(services.NotAllowed) as exc:
        services.evaluation_approve(submitted.pk, users["reviewer"])
    assert "审核通过" in exc.value.message
    assert fingerprint(submitted) == before
    assert submitted.events.filter(action="approve").count() == 1


def test_submit_with_a_stale_version_is_refused(submittable, users):
    before = fingerprint(submittable)
    with pytest.raises(services.StaleVersion):
        services.evaluation_submit(submittable.pk, users["filer"], submittable.version - 1)
    assert fingerprint(submittable) == before


def test_submit_with_blocking_problems_is_refused(seed_eval, users):
    before = fingerprint(seed_eval)
    with pytest.raises(services.SubmissionBlocked) as exc:
        services.evaluation_submit(seed_eval.pk, users["filer"], seed_eval.version)
    assert len(exc.value.problems) == 5
    assert fingerprint(seed_eval) == before


def test_missing_evaluation_is_not_found(users):
    with pytest.raises(services.NotFound):
        services.evaluation_approve(999_999, users["reviewer"])


# ---------------------------------------------------------------------------- editing


def _edits():
    return {
        "basic": lambda e, u: services.evaluation_save_basic(
            e.pk, u, e.version, department={"staff_actual": 99}, sections={"overview": "改"}
        ),
        "figures": lambda e, u: services.evaluation_save_figures(
            e.pk, u, e.version, values={"assets_total": Decimal("80.00")}
        ),
        "answers": lambda e, u: services.evaluation_save_answers(
            e.pk,
            u,
            e.version,
            answers={"1.5.4": services.AnswerInput(claimed=Decimal(2), reason="改")},
        ),
        "duty": lambda e, u: services.evaluation_save_duty(
            e.pk, u, e.version, overall_goal="改", goal_completion="", goal_shortfall_reason="",
            tasks=[],
        ),
        "sections": lambda e, u: services.evaluation_save_sections(
            e.pk, u, e.version, texts={"overview": "改"}
        ),
    }  # fmt: skip


EDITS = tuple(_edits())


def _content(evaluation: Evaluation):
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    return (
        evaluation.department.staff_actual,
        getattr(evaluation, "staff_actual", None),  # the year's own copy, where there is one
        evaluation.overall_goal,
        evaluation.tasks.count(),
        sorted(evaluation.sections.values_list("key", "text")),
        sorted(evaluation.figures.values_list("key", "value")),
        sorted(evaluation.answers.values_list("code", "claimed", "claimed_reason")),
        evaluation.field_changes.count(),
    )


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("state", ["submitted", "approved", "published"])
def test_editing_services_refuse_outside_draft_and_returned(submittable, users, state, edit):
    evaluation = set_status(submittable, state)
    before, content = fingerprint(evaluation), _content(evaluation)
    with pytest.raises(services.NotEditable) as exc:
        _edits()[edit](evaluation, users["filer"])
    assert "不能修改" in exc.value.message
    assert workflow.Status(state).label in exc.value.message
    assert fingerprint(evaluation) == before
    assert _content(evaluation) == content


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("state", ["draft", "returned"])
def test_editing_services_save_in_draft_and_returned(submittable, users, state, edit):
    evaluation = set_status(submittable, state)
    version, content = evaluation.version, _content(evaluation)
    _edits()[edit](evaluation, users["filer"])
    evaluation.refresh_from_db()
    assert evaluation.version == version + 1
    assert evaluation.status == state
    assert _content(evaluation) != content


@pytest.mark.parametrize("edit", EDITS)
def test_editing_services_hide_another_departments_evaluation(submittable, users, edit):
    before, content = fingerprint(submittable), _content(submittable)
    with pytest.raises(services.NotFound):
        _edits()[edit](submittable, users["filer2"])
    assert fingerprint(submittable) == before
    assert _content(submittable) == content
