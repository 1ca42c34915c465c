"""Bulk 退回 / 审核通过 on the dashboard's selection: each evaluation through the same
service as one at a time (services.transitions), each in its own transaction, so one refusal
leaves the others done. The outcome of every row is returned, with the service's Chinese
message for a refusal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Evaluation, FiscalYear
from .errors import ServiceError
from .text import checked
from .transitions import evaluation_approve, evaluation_return

BULK_ACTIONS = {"return": "退回", "approve": "审核通过"}
MAX_BULK = 2000  # more than any region's departments; a larger selection is refused


@dataclass(frozen=True)
class BulkOutcome:
    evaluation_id: int
    label: str  # 部门（项目）
    ok: bool
    message: str  # the service's message for a refusal, blank when done


def _label(evaluation: Evaluation) -> str:
    name = evaluation.department.name
    return f"{name}（{evaluation.project}）" if evaluation.project else name


def evaluations_bulk_transition(
    fiscal_year: FiscalYear, ids: Iterable[int], actor, action: str, comment: str = ""
) -> list[BulkOutcome]:
    """Return or approve each selected evaluation of `fiscal_year` (the caller scoped the
    year to the actor's regions); ids of other years are reported as not found. A return
    needs the comment, which is applied to every selected evaluation."""
    if action not in BULK_ACTIONS:
        raise ServiceError("未知的批量操作")
    comment = checked(comment, "comment", field="comment")
    if action == "return" and not comment.strip():
        raise ServiceError("批量退回须填写退回意见（将发送给所选的每个部门）。")
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise ServiceError("请先勾选要操作的自评。")
    if len(wanted) > MAX_BULK:
        raise ServiceError(f"一次最多操作 {MAX_BULK} 份自评，请缩小筛选范围。")
    found = {
        e.pk: e
        for e in Evaluation.objects.filter(fiscal_year=fiscal_year, pk__in=wanted).select_related(
            "department"
        )
    }
    outcomes = []
    # each service call is its own transaction (a savepoint if the caller has one open): a
    # refused row rolls back only itself
    for pk in wanted:
        evaluation = found.get(pk)
        if evaluation is None:
            outcomes.append(BulkOutcome(pk, f"编号 {pk}", False, "本年度没有这份自评。"))
            continue
        try:
            if action == "return":
                evaluation_return(pk, actor, comment)
            else:
                evaluation_approve(pk, actor, comment)
        except ServiceError as exc:
            outcomes.append(BulkOutcome(pk, _label(evaluation), False, exc.message))
        else:
            outcomes.append(BulkOutcome(pk, _label(evaluation), True, ""))
    return outcomes
