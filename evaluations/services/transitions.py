"""Workflow transitions: each one locks the row, re-checks the actor's role and the current
state against workflow.TRANSITIONS, applies, and writes an event — so neither a double click
nor two reviewers at once can produce two transitions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import access, notify, snapshot, workflow
from ..models import Evaluation, EvaluationEvent, SubmissionSnapshot
from ..workflow import Status
from .common import locked, refresh_totals
from .errors import ServiceError, StaleVersion, SubmissionBlocked
from .text import checked


def _transition(
    evaluation_id: int, actor, action: str, comment: str = "", check=None, after=None
) -> Evaluation:
    """One workflow transition: lock, re-check role and state against workflow.TRANSITIONS,
    apply, write the event, and (after commit) send the notification.

    A transition of the 绩效目标申报 (subject DECLARATION) moves the declaration's status, also
    locked; `check` and `after` then take (evaluation, declaration). `after` runs in the same
    transaction once the new status is saved."""
    t = workflow.TRANSITIONS[action]
    comment = checked(comment, "comment", field="comment")
    with transaction.atomic():
        evaluation = locked(evaluation_id)
        access.require(actor, evaluation, action)
        if t.comment_required and not comment.strip():
            raise ServiceError(f"{t.label}须填写意见。")
        if t.subject == workflow.DECLARATION:
            return _declaration_transition(evaluation, actor, t, comment, check, after)
        if check is not None:
            check(evaluation)
        previous = evaluation.status
        evaluation.status = t.target
        fields = ["status", "updated_at"]
        if t.target == Status.SUBMITTED:
            evaluation.submitted_at = timezone.now()
            evaluation.review_started_at = None
            fields += ["submitted_at", "review_started_at"]
            SubmissionSnapshot.objects.create(
                evaluation=evaluation, data=snapshot.flatten(evaluation)
            )
        evaluation.save(update_fields=fields)
        _event(evaluation, actor, action, previous, t.target, comment)
        if after is not None:
            after(evaluation)
    return evaluation


def _event(evaluation: Evaluation, actor, action: str, previous: str, target: str, comment: str):
    event = EvaluationEvent.objects.create(
        evaluation=evaluation,
        actor=actor,
        action=action,
        from_status=previous,
        to_status=target,
        comment=comment.strip(),
    )
    # The e-mail is the worker's (tasks.send_transition_notification), after commit; a
    # failure to enqueue it is logged (robust), never raised into the request.
    transaction.on_commit(lambda: notify.enqueue(event.pk), robust=True)


def _declaration_transition(evaluation: Evaluation, actor, t, comment, check, after) -> Evaluation:
    from ..models import TargetDeclaration
    from .errors import NotFound

    declaration = TargetDeclaration.objects.select_for_update().filter(evaluation=evaluation)
    declaration = declaration.first()
    if declaration is None:
        raise NotFound("尚未填写绩效目标申报。")
    if check is not None:
        check(evaluation, declaration)
    previous = declaration.status
    declaration.status = t.target
    fields = ["status", "updated_at"]
    if t.target == Status.SUBMITTED:
        declaration.submitted_at = timezone.now()
        fields.append("submitted_at")
    if t.target == Status.APPROVED:
        declaration.approved_at = timezone.now()
        fields.append("approved_at")
    declaration.save(update_fields=fields)
    evaluation.declaration = declaration
    _event(evaluation, actor, t.action, previous, t.target, comment)
    if after is not None:
        after(evaluation, declaration)
    return evaluation


def evaluation_submit(evaluation_id: int, actor, version: int) -> Evaluation:
    """Submit after every check: blocking problems refuse the submission."""
    from ..selectors import evaluations_for_scoring
    from ..submission import review

    def check(evaluation: Evaluation) -> None:
        if evaluation.version != version:
            raise StaleVersion(evaluation.version)
        result = review(evaluations_for_scoring().get(pk=evaluation.pk))
        if result.blocking:
            raise SubmissionBlocked(result.blocking)

    return _transition(evaluation_id, actor, "submit", check=check)


def evaluation_withdraw(evaluation_id: int, actor) -> Evaluation:
    """The filer takes a submission back, until a reviewer has started on it."""

    # Refused once a reviewer has started: a condition of the access policy (access.RULES).
    return _transition(evaluation_id, actor, "withdraw")


def evaluation_return(evaluation_id: int, actor, comment: str) -> Evaluation:
    """The reviewer sends it back to the filer with a (required) comment."""
    return _transition(evaluation_id, actor, "return", comment)


def evaluation_approve(evaluation_id: int, actor, comment: str = "") -> Evaluation:
    """Approve; refused while a 复核分 needs the reviewer's new decision (one that no longer
    fits its row, or one on a deleted row: submission.Review.reviewer)."""
    from ..selectors import evaluations_for_scoring
    from ..submission import review

    def check(evaluation: Evaluation) -> None:
        problems = review(evaluations_for_scoring().get(pk=evaluation.pk)).reviewer
        if problems:
            raise ServiceError(
                "审核通过前，请先处理以下复核分：" + "；".join(p.message for p in problems)
            )

    evaluation = _transition(evaluation_id, actor, "approve", comment, check=check)
    refresh_totals(evaluation.pk)
    return evaluation


def evaluation_reopen(evaluation_id: int, actor, reason: str) -> Evaluation:
    """An admin reopens a published evaluation (reason required); it goes back to returned.
    The published file stays, listed as superseded, and so does the history."""
    from .publishing import supersede_publications

    return _transition(evaluation_id, actor, "reopen", reason, check=supersede_publications)
