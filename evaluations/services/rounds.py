"""The yearly round (开启年度评价): a finance bureau opens a fiscal year for its region with a
rubric version and a deadline, and every chosen department gets its 部门整体 evaluation in one
step, carried over from its previous year's. Running it again (the same year, more
departments) adds only what is missing; nothing is created twice. Reviewers grant a
department an extension past the deadline of a closed round."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import access, audit
from ..models import (
    DeadlineExtension,
    Department,
    DutyIndicator,
    DutyTask,
    Evaluation,
    FigureValue,
    FiscalYear,
    Region,
    ReportSection,
    RubricVersion,
)
from ..selectors import latest_earlier_evaluation
from .common import refresh_totals
from .errors import FieldInvalid, NotFound, ServiceError
from .text import checked


@dataclass
class RoundResult:
    fiscal_year: FiscalYear
    year_created: bool
    created: list[Evaluation] = field(default_factory=list)
    existing: list[Department] = field(default_factory=list)  # already had one: untouched

    @property
    def summary(self) -> str:
        text = f"{self.fiscal_year.year}年度：新开通 {len(self.created)} 个部门的自评"
        if self.existing:
            text += f"，{len(self.existing)} 个部门已有自评（未重复创建）"
        return text + "。"


def round_open(
    *,
    actor,
    region: Region,
    year: int,
    rubric: RubricVersion,
    deadline: datetime.date,
    departments: Iterable[Department] | None = None,
    remind_days_before: int | None = None,
) -> RoundResult:
    """Open (or extend) `region`'s round for `year`: the fiscal year with `rubric` and
    `deadline`, closed at the deadline, and a draft 部门整体 evaluation for each department
    (all the region's when `departments` is None) that has none yet, carried over from its
    previous year. `actor` None is the command line (an operator)."""
    if actor is not None:
        access.require_round(actor, region)
    if not 2000 <= year <= 2100:
        raise FieldInvalid("year", "年度应为 2000 到 2100 之间的年份。")
    chosen = list(
        Department.objects.filter(region=region)
        if departments is None
        else Department.objects.filter(region=region, pk__in=[d.pk for d in departments])
    )
    if departments is not None and len(chosen) != len({d.pk for d in departments}):
        raise FieldInvalid("departments", "所选部门不属于本区域。")
    try:
        result = _open_locked(actor, region, year, rubric, deadline, chosen, remind_days_before)
    except IntegrityError as exc:  # another reviewer opened the same year at the same moment
        raise ServiceError("该年度正由他人同时开启，请刷新页面后重试。") from exc
    audit.record(
        "round_opened",
        user=actor,
        region=region.code,
        year=year,
        rubric=rubric.key,
        deadline=deadline.isoformat(),
        created=[e.department.code for e in result.created],
    )
    return result


def _open_locked(actor, region, year, rubric, deadline, chosen, remind_days_before) -> RoundResult:
    with transaction.atomic():
        fy = FiscalYear.objects.select_for_update().filter(region=region, year=year).first()
        year_created = fy is None
        if fy is None:
            fy = FiscalYear(region=region, year=year, rubric=rubric)
        elif fy.rubric_id != rubric.pk and fy.evaluations.filter(project="").exists():
            raise FieldInvalid(
                "rubric",
                f"{year}年度已按“{fy.rubric.title}”开启，不能改用其他评分体系；"
                "如需添加部门，请选择原评分体系。",
            )
        fy.rubric = rubric
        fy.deadline = deadline
        fy.closes_at_deadline = True
        if remind_days_before is not None:
            fy.remind_days_before = remind_days_before
        if fy.opened_at is None:
            fy.opened_at = timezone.now()
            fy.opened_by = actor
        fy.save()
        have = set(
            Evaluation.objects.filter(fiscal_year=fy, project="").values_list(
                "department_id", flat=True
            )
        )
        result = RoundResult(fy, year_created)
        for department in chosen:
            if department.pk in have:
                result.existing.append(department)
                continue
            evaluation = Evaluation.objects.create(
                department=department, fiscal_year=fy, rubric=rubric
            )
            previous = latest_earlier_evaluation(evaluation)
            if previous is not None:
                carry_over(previous, evaluation)
            result.created.append(evaluation)
        for evaluation in result.created:
            refresh_totals(evaluation.pk)
    return result


def carry_over(previous: Evaluation, evaluation: Evaluation) -> None:
    """Copy into the new `evaluation` what its rubric marks as carried from year to year:
    机构设置 and 人员编制 (always), the report texts with `carry_over` (the 基本情况 ones by
    default), the department inputs with `carry_over: true` that both rubrics declare, and the
    履职效能 tasks and target rows as a starting point. The previous year is not changed."""
    spec = evaluation.rubric.spec
    for name in Evaluation.STAFFING_FIELDS:
        setattr(evaluation, name, getattr(previous, name))
    evaluation.save(update_fields=list(Evaluation.STAFFING_FIELDS))

    section_keys = [s.key for s in spec.report.sections if s.carry_over]
    ReportSection.objects.bulk_create(
        ReportSection(evaluation=evaluation, key=s.key, text=s.text)
        for s in previous.sections.filter(key__in=section_keys).exclude(text="")
    )
    carried = {
        i.key for i in spec.inputs if i.carry_over and i.source == "department" and not i.derived
    }
    previous_inputs = previous.rubric.spec.inputs_by_key
    FigureValue.objects.bulk_create(
        FigureValue(evaluation=evaluation, key=f.key, value=f.value, text=f.text)
        for f in previous.figures.filter(key__in=carried)
        if f.key in previous_inputs
        and previous_inputs[f.key].type == spec.inputs_by_key[f.key].type
    )
    copy_previous_targets(previous, evaluation)


def copy_previous_targets(previous: Evaluation, evaluation: Evaluation) -> None:
    """The 履职效能 starting point: the previous year's tasks and indicator rows (name, target,
    operator, unit, points), without actuals or scores. Only when the new evaluation has no
    rows yet (declared targets, where they exist, come first), and only the sections the new
    rubric still has. One function, to be replaced by the approved 绩效目标申报 (issue 14
    item 2)."""
    if DutyTask.objects.filter(evaluation=evaluation).exists():
        return
    sections = {s.code for s in evaluation.rubric.spec.target_sections()}
    tasks = previous.tasks.prefetch_related("rows").order_by("position", "id")
    for task in tasks:
        if task.section and task.section not in sections:
            continue
        new_task = DutyTask.objects.create(
            evaluation=evaluation, section=task.section, position=task.position, name=task.name
        )
        DutyIndicator.objects.bulk_create(
            DutyIndicator(
                task=new_task,
                position=row.position,
                name=row.name,
                target_text=row.target_text,
                operator=row.operator,
                target_value=row.target_value,
                target_max=row.target_max,
                target_date=_next_year(row.target_date),
                initial_target_text=row.target_text,
                core=row.core,
                unit=row.unit,
                points=row.points,
            )
            for row in task.rows.all()
        )


def _next_year(day: datetime.date | None) -> datetime.date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def extension_grant(
    *, actor, fiscal_year: FiscalYear, department: Department, until: datetime.date, reason: str
) -> DeadlineExtension:
    """延期: let `department` edit its filings of `fiscal_year` until `until` (inclusive),
    recorded with who, when and why."""
    access.require_round(actor, fiscal_year.region)
    if department.region_id != fiscal_year.region_id:
        raise NotFound("没有找到该部门")
    reason = " ".join(checked(reason, "extension_reason", field="reason").split())
    if not reason:
        raise FieldInvalid("reason", "请填写延期理由。")
    if fiscal_year.deadline and until <= fiscal_year.deadline:
        raise FieldInvalid(
            "until", f"延期日期应晚于填报截止日期（{fiscal_year.deadline:%Y-%m-%d}）。"
        )
    if until < timezone.localdate():
        raise FieldInvalid("until", "延期日期不能早于今天。")
    extension = DeadlineExtension.objects.create(
        fiscal_year=fiscal_year, department=department, until=until, reason=reason, granted_by=actor
    )
    audit.record(
        "deadline_extended",
        user=actor,
        year=fiscal_year.year,
        region=fiscal_year.region.code,
        department=department.code,
        until=until.isoformat(),
        reason=reason,
    )
    return extension
