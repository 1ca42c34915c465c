"""The one access policy: may this user do this action on this evaluation now?

Derived from the workflow table (workflow.TRANSITIONS) and the role scopes (a filer's
departments, a reviewer's region, the admin), in the spirit of healthchecks'
`_get_check_for_user`: `evaluation_with_access()` returns the evaluation and what the user may
do with it in one call. Services enforce it (`require`), views and templates ask it
(`access.submit` in a template, `access.can(Action.SUBMIT)` in Python), and the access-matrix
tests read it. Adding a permission is one entry in RULES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from . import selectors, workflow
from .models import BulkJob, Evaluation, FiscalYear
from .workflow import Role, Status

ALL_STATES = frozenset(Status)
BEFORE_APPROVAL = frozenset({Status.DRAFT, Status.SUBMITTED, Status.RETURNED})


class Action(StrEnum):
    VIEW = "view"  # the filing pages, history, draft PDF, evidence downloads
    REVIEW_PAGE = "review_page"  # the finance bureau's review page
    EDIT = "edit"  # the filer's steps and 佐证材料
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    RETURN = "return"
    APPROVE = "approve"
    PUBLISH = "publish"
    REOPEN = "reopen"
    SET_REVIEWED = "set_reviewed"  # 复核分
    ANNOTATE = "annotate"  # add a 批注
    REPLY = "reply"  # reply to a 批注, resolve or reopen it
    NOTIFY = "notify"  # the finance bureau's figures and 加减分 events
    DECLARE_EDIT = "declare_edit"  # the filer's 绩效目标申报 (before it is submitted)


@dataclass(frozen=True)
class Rule:
    label: str
    roles: frozenset[Role]
    states: frozenset[Status]
    # Without the role the evaluation does not exist for this action (404, never a 403).
    hidden: bool = False
    role_message: str = ""
    state_message: str = "这份自评当前状态为“{status}”，不能{label}。"
    # A further refusal on the evaluation's own data (a message) or None.
    condition: Callable[[Evaluation], str | None] | None = None
    not_editable: bool = False  # a state refusal is services.NotEditable
    # Whose status `states` are about: the evaluation's, or its 绩效目标申报's (workflow.subject)
    subject: str = workflow.EVALUATION


def declaration_status(evaluation: Evaluation) -> str:
    """The status of the evaluation's 绩效目标申报 (填报中 while none has been saved)."""
    from .models import TargetDeclaration

    try:
        return evaluation.declaration.status
    except TargetDeclaration.DoesNotExist:
        return Status.DRAFT


def subject_status(evaluation: Evaluation, subject: str) -> str:
    if subject == workflow.DECLARATION:
        return declaration_status(evaluation)
    return evaluation.status


def _not_under_review(evaluation: Evaluation) -> str | None:
    if evaluation.review_started_at is not None:
        return "审核人已开始审核（已有批注或复核分），不能撤回。如需修改请联系审核人退回。"
    return None


def deadline_refusal(evaluation: Evaluation, today=None) -> str | None:
    """A closed round (年度 with 截止后停止填报) refuses edits after its deadline, unless a
    reviewer extended it for the department (the latest extension counts)."""
    from django.utils import timezone

    fy = evaluation.fiscal_year
    if not fy.closes_at_deadline or fy.deadline is None:
        return None
    today = today or timezone.localdate()
    if today <= fy.deadline:
        return None
    extension = fy.extensions.filter(department_id=evaluation.department_id).first()
    if extension is not None and today <= extension.until:
        return None
    until = extension.until if extension is not None else fy.deadline
    return (
        f"{fy.year}年度的填报已于{until.year}年{until.month}月{until.day}日截止，不能再修改。"
        "如需继续填报，请联系财政局审核人申请延期。"
    )


def _transition_rules() -> dict[str, Rule]:
    rules = {}
    for t in workflow.TRANSITIONS.values():
        rules[t.action] = Rule(
            label=t.label,
            roles=t.roles,
            states=t.sources,
            role_message=f"你没有“{t.label}”这份自评的权限。",
            condition=_not_under_review if t.action == Action.WITHDRAW else None,
            subject=t.subject,
            **(
                {"state_message": "绩效目标申报当前状态为“{status}”，不能{label}。"}
                if t.subject == workflow.DECLARATION
                else {}
            ),
        )
    return rules


REVIEWER_ONLY = "只有本区域的审核人可以进行此操作。"

RULES: dict[str, Rule] = {
    **_transition_rules(),
    Action.VIEW: Rule("查看", frozenset(Role), ALL_STATES, hidden=True),
    Action.REVIEW_PAGE: Rule(
        "审核", frozenset({Role.REVIEWER, Role.ADMIN}), ALL_STATES, hidden=True
    ),
    Action.EDIT: Rule(
        "修改",
        frozenset({Role.FILER}),
        workflow.EDITABLE,
        hidden=True,
        state_message="这份自评当前状态为“{status}”，不能{label}。"
        "如需修改，请在审核人处理前撤回提交，或等待退回。",
        not_editable=True,
        condition=deadline_refusal,
    ),
    Action.SET_REVIEWED: Rule(
        "填写复核分",
        frozenset({Role.REVIEWER}),
        frozenset({Status.SUBMITTED}),
        role_message=REVIEWER_ONLY,
        state_message="只有已提交、待审核的自评可以填写复核分。",
    ),
    Action.ANNOTATE: Rule(
        "批注",
        frozenset({Role.REVIEWER}),
        BEFORE_APPROVAL,
        role_message=REVIEWER_ONLY,
        state_message="已审核通过的自评不能再添加批注。",
    ),
    Action.REPLY: Rule("回复批注", frozenset({Role.FILER, Role.REVIEWER}), ALL_STATES, hidden=True),
    Action.NOTIFY: Rule(
        "修改财政局数据",
        frozenset({Role.REVIEWER}),
        BEFORE_APPROVAL,
        role_message=REVIEWER_ONLY,
        state_message="这份自评当前状态为“{status}”，财政局数据已不能修改。",
    ),
    Action.DECLARE_EDIT: Rule(
        "修改目标申报",
        frozenset({Role.FILER}),
        workflow.EDITABLE,
        hidden=True,
        state_message="绩效目标申报当前状态为“{status}”，不能修改。",
        not_editable=True,
        subject=workflow.DECLARATION,
    ),
}


def refusal(evaluation: Evaluation, roles: set[Role] | frozenset[Role], action: str):
    """None if allowed, else the error (a services.errors instance) the service raises."""
    from .services.errors import NotAllowed, NotEditable, NotFound

    rule = RULES[action]
    if not roles or (rule.hidden and not rule.roles & roles):
        return NotFound("没有找到该自评")
    if not rule.roles & roles:
        return NotAllowed(rule.role_message or f"你没有“{rule.label}”这份自评的权限。")
    status = subject_status(evaluation, rule.subject)
    if status not in rule.states:
        labels = workflow.DECLARATION_LABELS if rule.subject == workflow.DECLARATION else {}
        label = labels.get(status) or Status(status).label
        message = rule.state_message.format(status=label, label=rule.label)
        return NotEditable(message) if rule.not_editable else NotAllowed(message)
    if rule.condition is not None and (reason := rule.condition(evaluation)):
        return NotEditable(reason) if rule.not_editable else NotAllowed(reason)
    return None


@dataclass
class Access:
    """What one user may do with one evaluation now. In templates `{% if access.submit %}`."""

    evaluation: Evaluation
    roles: frozenset[Role]
    _cache: dict[str, bool] = field(default_factory=dict, repr=False)

    def can(self, action: str) -> bool:
        if action not in self._cache:
            self._cache[action] = refusal(self.evaluation, self.roles, action) is None
        return self._cache[action]

    def __getitem__(self, action: str) -> bool:
        if action not in RULES:
            raise KeyError(action)
        return self.can(action)

    def require(self, action: str) -> None:
        error = refusal(self.evaluation, self.roles, action)
        if error is not None:
            if not RULES[action].roles & self.roles:  # refused for who they are, not the state
                from . import audit

                audit.record_after_request(
                    "permission_denied", evaluation=self.evaluation.pk, action=str(action)
                )
            raise error

    @property
    def is_filer(self) -> bool:
        return Role.FILER in self.roles

    @property
    def is_reviewer(self) -> bool:
        return Role.REVIEWER in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


def access_for(user, evaluation: Evaluation) -> Access:
    return Access(evaluation, frozenset(selectors.roles_for(user, evaluation)))


def require(user, evaluation: Evaluation, action: str) -> Access:
    """For services, on the locked row: raise the domain error if the action is refused."""
    access = access_for(user, evaluation)
    access.require(action)
    return access


def evaluation_with_access(
    user, pk: int, *, for_scoring: bool = True, need: str = Action.VIEW
) -> tuple[Evaluation, Access]:
    """The evaluation (scoped by the user through the selector: out of scope is a 404) and the
    user's access to it; a 404 too if the user lacks the roles `need` hides behind."""
    from django.http import Http404

    evaluation = selectors.evaluation_for_user(user, pk, for_scoring=for_scoring)
    access = access_for(user, evaluation)
    rule = RULES[need]
    if rule.hidden and not rule.roles & access.roles:
        from . import audit

        audit.record("permission_denied", user=user, evaluation=evaluation.pk)
        raise Http404("没有找到该自评")
    return evaluation, access


# ---------------------------------------------------------------------------- a fiscal year


def require_project_create(user, department, fiscal_year: FiscalYear) -> None:
    """May this user start a 项目支出 evaluation for this department in this year? Only a
    filer of the department (anyone else: the department does not exist for them), in a year
    of the department's region that has a project rubric."""
    from .services.errors import NotAllowed, NotFound

    if not user.is_authenticated or not department.filers.filter(pk=user.pk).exists():
        raise NotFound("没有找到该部门")
    if fiscal_year.region_id != department.region_id:
        raise NotFound("没有找到该年度")
    if fiscal_year.project_rubric_id is None:
        raise NotAllowed(f"{fiscal_year.year}年度未设置项目支出评分体系，不能新建项目支出自评。")


def year_roles(user, fiscal_year: FiscalYear) -> frozenset[Role]:
    return region_roles(user, fiscal_year.region)


def region_roles(user, region) -> frozenset[Role]:
    if user is None or not user.is_authenticated:
        return frozenset()
    roles = set()
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if region.reviewers.filter(pk=user.pk).exists():
        roles.add(Role.REVIEWER)
    return frozenset(roles)


# ---------------------------------------------------------------------------- the yearly round
# Opening a round, adding departments to it, granting an extension, sending a 催办: the
# region's reviewers (the finance bureau) and the admin; anyone else: the region is a 404.
ROUND_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})


def require_round(user, region) -> None:
    """May this user open a round, extend a deadline or send a 催办 in this region?"""
    from .services.errors import NotFound

    if not region_roles(user, region) & ROUND_ROLES:
        raise NotFound("没有找到该区域")


# Bulk jobs: who may start each kind. Publishing all approved evaluations takes the roles of
# the publish transition; the read-only jobs also the admin.
JOB_ROLES: dict[str, frozenset[Role]] = {
    BulkJob.Kind.PUBLISH_APPROVED: workflow.TRANSITIONS["publish"].roles,
    BulkJob.Kind.RENDER_DRAFTS: frozenset({Role.REVIEWER, Role.ADMIN}),
    BulkJob.Kind.EXPORT_SCORES: frozenset({Role.REVIEWER, Role.ADMIN}),
}


def job_kinds_for(user, fiscal_year: FiscalYear) -> list[tuple[str, str]]:
    roles = year_roles(user, fiscal_year)
    return [(k, label) for k, label in BulkJob.Kind.choices if JOB_ROLES[k] & roles]


def require_job(user, fiscal_year: FiscalYear, kind: str) -> None:
    from .services.errors import NotAllowed, ServiceError

    if kind not in JOB_ROLES:
        raise ServiceError("未知的批量任务")
    roles = year_roles(user, fiscal_year)
    if not roles or not JOB_ROLES[kind] & roles:
        from . import audit

        audit.record_after_request("permission_denied", fiscal_year=fiscal_year.pk, job=kind)
    if not roles:
        raise NotAllowed("只有本区域的审核人可以发起批量任务。")
    if not JOB_ROLES[kind] & roles:
        raise NotAllowed("公开须由本区域的审核人操作。")
