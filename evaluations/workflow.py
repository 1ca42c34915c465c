"""The evaluation's life cycle: its states and the one table of allowed transitions.

Each transition is carried out by one service in evaluations/services.py, which locks the row,
re-checks the actor's role and the current state against this table, and writes an event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "审核通过"
    PUBLISHED = "published", "已公开"


class Role(models.TextChoices):
    FILER = "filer", "填报人"
    REVIEWER = "reviewer", "审核人"
    ADMIN = "admin", "管理员"


EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})

# What a transition moves: the evaluation itself, or its 绩效目标申报 (TargetDeclaration), which
# goes through a subset of the same states: draft → submitted → approved, or back to returned.
EVALUATION, DECLARATION = "evaluation", "declaration"
DECLARATION_STATES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED})
# How the declaration's states read to a user (the same values as the evaluation's).
DECLARATION_LABELS = {
    Status.DRAFT: "填报中",
    Status.SUBMITTED: "待批复",
    Status.RETURNED: "已退回",
    Status.APPROVED: "已批复",
}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    comment_required: bool = False
    subject: str = EVALUATION  # EVALUATION or DECLARATION: whose status it moves


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit",
            "提交",
            frozenset({Status.DRAFT, Status.RETURNED}),
            Status.SUBMITTED,
            frozenset({Role.FILER}),
        ),
        Transition(
            "withdraw", "撤回", frozenset({Status.SUBMITTED}), Status.DRAFT, frozenset({Role.FILER})
        ),
        Transition(
            "return",
            "退回",
            frozenset({Status.SUBMITTED}),
            Status.RETURNED,
            frozenset({Role.REVIEWER}),
            comment_required=True,
        ),
        Transition(
            "approve",
            "审核通过",
            frozenset({Status.SUBMITTED}),
            Status.APPROVED,
            frozenset({Role.REVIEWER}),
        ),
        Transition(
            "publish",
            "公开",
            frozenset({Status.APPROVED}),
            Status.PUBLISHED,
            frozenset({Role.REVIEWER}),
        ),
        Transition(
            "reopen",
            "重新打开",
            frozenset({Status.PUBLISHED}),
            Status.RETURNED,
            frozenset({Role.ADMIN}),
            comment_required=True,
        ),
        # 绩效目标申报: declared at the start of the year, approved or returned by the reviewer;
        # the approved targets become the evaluation's 履职效能 rows.
        Transition(
            "declare_submit",
            "提交目标申报",
            frozenset({Status.DRAFT, Status.RETURNED}),
            Status.SUBMITTED,
            frozenset({Role.FILER}),
            subject=DECLARATION,
        ),
        Transition(
            "declare_return",
            "退回目标申报",
            frozenset({Status.SUBMITTED}),
            Status.RETURNED,
            frozenset({Role.REVIEWER}),
            comment_required=True,
            subject=DECLARATION,
        ),
        Transition(
            "declare_approve",
            "批复目标申报",
            frozenset({Status.SUBMITTED}),
            Status.APPROVED,
            frozenset({Role.REVIEWER}),
            subject=DECLARATION,
        ),
    )
}


def is_editable(status: str) -> bool:
    return status in EDITABLE


def allowed(action: str, status: str, roles: set[Role]) -> bool:
    t = TRANSITIONS.get(action)
    return t is not None and status in t.sources and bool(t.roles & roles)
