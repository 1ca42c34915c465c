"""The one access policy (evaluations.access), over every state × role × action:

- a service succeeds exactly when the policy allows the action (and refuses it otherwise,
  with a 404-style NotFound for anyone outside the evaluation's scope);
- a page offers a button exactly when the policy allows the action behind it.

Before the policy the two could disagree: the 核对与提交 page offered 撤回提交 after a reviewer
had started (the service refused it), and the review page offered an admin the reply and
resolve buttons of every 批注 (the service refused those too).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evaluations import access, services
from evaluations.access import Action
from evaluations.models import Evaluation
from evaluations.workflow import Status

from .helpers import client_for, pdf_bytes

RATE_KEY = "project_execution_rate_notified"  # the seed rubric's notified rate
ROLES = ("filer", "other_filer", "reviewer", "other_reviewer", "admin")


@pytest.fixture
def stub_render(monkeypatch):
    monkeypatch.setattr(
        "evaluations.reports.render_pdf", lambda evaluation, *, draft: b"%PDF-1.4 policy stub"
    )


def _service(action: str, w, user):
    """The service behind `action`, with inputs that are valid for the right role and state."""
    pk = w.evaluation.pk
    version = Evaluation.objects.get(pk=pk).version
    calls = {
        Action.EDIT: lambda: services.evidence_upload(
            pk,
            user,
            indicator_code="1.1.3",
            upload=SimpleUploadedFile("政策.pdf", pdf_bytes("policy"), "application/pdf"),
        ),
        Action.SUBMIT: lambda: services.evaluation_submit(pk, user, version),
        Action.WITHDRAW: lambda: services.evaluation_withdraw(pk, user),
        Action.RETURN: lambda: services.evaluation_return(pk, user, "请补充。"),
        Action.APPROVE: lambda: services.evaluation_approve(pk, user, ""),
        Action.PUBLISH: lambda: services.evaluation_publish(pk, user),
        Action.REOPEN: lambda: services.evaluation_reopen(pk, user, "更正。"),
        Action.SET_REVIEWED: lambda: services.evaluation_set_reviewed(
            pk, user, code="1.1.1", score=Decimal(0), reason="依据不足。"
        ),
        Action.ANNOTATE: lambda: services.annotation_add(
            pk, user, target="general", label="总体", text="策略测试"
        ),
        Action.REPLY: lambda: services.annotation_reply(pk, w.annotation.pk, user, text="回复"),
        Action.NOTIFY: lambda: services.evaluation_set_notified(
            pk, user, values={RATE_KEY: Decimal("91.5")}
        ),
        # the 绩效目标申报 (none saved yet: 填报中); its transitions: tests/evaluations/test_declaration.py
        Action.DECLARE_EDIT: lambda: services.declaration_save(
            pk, user, 1, overall_goal="年度目标", tasks=[]
        ),
    }
    return calls[action]


def _put_in(w, status: str, *, review_started: bool = False) -> Evaluation:
    Evaluation.objects.filter(pk=w.evaluation.pk).update(
        status=status, review_started_at=timezone.now() if review_started else None
    )
    return Evaluation.objects.get(pk=w.evaluation.pk)


CASES = [(s, False) for s in Status] + [(Status.SUBMITTED, True)]


@pytest.mark.parametrize(("status", "review_started"), CASES)
def test_a_service_succeeds_iff_the_policy_allows(world, stub_render, status, review_started):
    problems = []
    actions = [a for a in Action if a not in (Action.VIEW, Action.REVIEW_PAGE)]
    for role in ROLES:
        user = world.roles[role]
        for action in actions:
            with transaction.atomic():
                evaluation = _put_in(world, status, review_started=review_started)
                allowed = access.access_for(user, evaluation).can(action)
                try:
                    _service(action, world, user)()
                except services.ServiceError as exc:
                    outcome, message = False, exc.message
                    if role.startswith("other_") and not isinstance(exc, services.NotFound):
                        problems.append(f"{role} {action} {status}: {message} (not a 404)")
                else:
                    outcome, message = True, ""
                transaction.set_rollback(True)
            if outcome != allowed:
                problems.append(
                    f"[{status}{' started' if review_started else ''}] {role} {action}: "
                    f"policy {'allows' if allowed else 'refuses'}, service "
                    f"{'succeeded' if outcome else 'refused: ' + message}"
                )
    assert not problems, "\n".join(problems)


# The buttons each page offers, by the action behind them.
REVIEW_PAGE_MARKS = {
    Action.APPROVE: 'data-testid="approve"',
    Action.RETURN: 'data-testid="return"',
    Action.PUBLISH: 'data-testid="publish"',
    Action.REOPEN: 'data-testid="reopen"',
    Action.NOTIFY: 'data-testid="notify"',
    Action.SET_REVIEWED: 'class="reviewed-form"',
    Action.ANNOTATE: 'class="annotate-form"',
    Action.REPLY: 'form="reply-',
}
FILING_PAGE_MARKS = {
    Action.SUBMIT: 'data-testid="submit"',
    Action.WITHDRAW: 'data-testid="withdraw"',
    Action.REPLY: 'form="reply-',
}


@pytest.mark.parametrize(("status", "review_started"), CASES)
def test_a_button_is_shown_iff_the_policy_allows(world, status, review_started):
    evaluation = _put_in(world, status, review_started=review_started)
    problems = []
    pages = [
        (reverse("review:evaluation", args=[evaluation.pk]), REVIEW_PAGE_MARKS, Action.REVIEW_PAGE),
        (reverse("filing:step", args=[evaluation.pk, "review"]), FILING_PAGE_MARKS, Action.VIEW),
    ]
    for role in ROLES:
        user = world.roles[role]
        policy = access.access_for(user, evaluation)
        for url, marks, page_action in pages:
            response = client_for(user).get(url)
            if not policy.can(page_action):
                assert response.status_code == 404, (role, url)
                continue
            assert response.status_code == 200, (role, url)
            html = response.content.decode()
            for action, mark in marks.items():
                if (mark in html) != policy.can(action):
                    problems.append(
                        f"[{status}] {role} {url}: {action} button "
                        f"{'shown' if mark in html else 'missing'}, policy "
                        f"{'allows' if policy.can(action) else 'refuses'}"
                    )
    assert not problems, "\n".join(problems)


def test_withdraw_is_not_offered_once_review_started(world):
    """The reproduction: the button was shown and the service refused it."""
    filer = world.roles["filer"]
    evaluation = _put_in(world, Status.SUBMITTED, review_started=True)
    html = client_for(filer).get(reverse("filing:step", args=[evaluation.pk, "review"]))
    assert 'data-testid="withdraw"' not in html.content.decode()
    with pytest.raises(services.NotAllowed, match="审核人已开始审核"):
        services.evaluation_withdraw(evaluation.pk, filer)


def test_an_admin_is_not_offered_replies_the_service_refuses(world):
    evaluation = _put_in(world, Status.SUBMITTED)
    html = client_for(world.roles["admin"]).get(reverse("review:evaluation", args=[evaluation.pk]))
    assert 'form="reply-' not in html.content.decode()
    with pytest.raises(services.NotFound):
        services.annotation_reply(
            evaluation.pk, world.annotation.pk, world.roles["admin"], text="x"
        )


def test_every_transition_of_the_workflow_table_is_a_policy_rule():
    from evaluations.workflow import TRANSITIONS

    for name, t in TRANSITIONS.items():
        rule = access.RULES[name]
        assert rule.roles == t.roles and rule.states == t.sources, name


def test_bulk_job_kinds_offered_are_the_ones_the_service_accepts(world):
    fy = world.evaluation.fiscal_year
    for role in ("reviewer", "admin", "other_reviewer"):
        user = world.roles[role]
        offered = {k for k, _ in access.job_kinds_for(user, fy)}
        html = client_for(user).get(reverse("review:dashboard", args=["nansha", 2022]))
        for kind in ("publish_approved", "render_drafts", "export_scores"):
            url = reverse("review:job_start", args=["nansha", 2022, kind])
            if html.status_code == 200:
                assert (url in html.content.decode()) == (kind in offered), (role, kind)
            with transaction.atomic():
                try:
                    access.require_job(user, fy, kind)
                except services.ServiceError:
                    accepted = False
                else:
                    accepted = True
                transaction.set_rollback(True)
            assert accepted == (kind in offered), (role, kind)
