"""Copying last year's 基本情况 and targets into this year's evaluation (issue 13: fewer
clicks). Everything goes through the steps' own save services, so the version check, the
field history and the totals are those of an ordinary save."""

from __future__ import annotations

from ..models import Evaluation
from ..selectors import previous_evaluation
from .editing import (
    DEPARTMENT_FIELDS,
    RowInput,
    TaskInput,
    evaluation_save_basic,
    evaluation_save_duty,
)
from .errors import ServiceError

CARRY_STEPS = ("basic", "duty")


def evaluation_copy_previous(evaluation_id: int, actor, version: int, *, step: str) -> Evaluation:
    """基本情况 (staff numbers and the texts of the step) or the 履职效能 goal and targets (tasks
    and rows, without last year's actual values, ticks and scores) from last year."""
    evaluation = Evaluation.objects.select_related("fiscal_year", "rubric").get(pk=evaluation_id)
    previous = previous_evaluation(evaluation)
    if previous is None or step not in CARRY_STEPS:
        raise ServiceError("没有可复制的上一年度自评。")
    rubric = evaluation.rubric.spec
    if step == "basic":
        keys = {s.key for s in rubric.report.sections if s.step == "basic"}
        texts = {s.key: s.text for s in previous.sections.all() if s.key in keys and s.text}
        return evaluation_save_basic(
            evaluation_id,
            actor,
            version,
            department={name: getattr(previous, name) for name in DEPARTMENT_FIELDS},
            sections=texts,
        )
    if evaluation.tasks.filter(deleted_at__isnull=True).exists():
        raise ServiceError("本年度已填写任务，未复制（以免覆盖已填内容）。")
    sections = {leaf.code for leaf in rubric.target_sections()}
    tasks = []
    for task in previous.tasks.filter(deleted_at__isnull=True).order_by("position", "pk"):
        rows = task.rows.filter(deleted_at__isnull=True).order_by("position", "pk")
        tasks.append(
            TaskInput(
                name=task.name,
                section=task.section if task.section in sections else "",
                rows=tuple(
                    RowInput(
                        name=r.name,
                        points=r.points,
                        operator=r.operator,
                        target_value=r.target_value,
                        target_text=r.target_text,
                        unit=r.unit,
                        target_max=r.target_max,
                        target_date=r.target_date,
                        core=r.core,
                    )
                    for r in rows
                ),
            )
        )
    return evaluation_save_duty(
        evaluation_id,
        actor,
        version,
        overall_goal=previous.overall_goal,
        goal_completion="",
        goal_shortfall_reason="",
        tasks=tasks,
    )
