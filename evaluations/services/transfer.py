"""Importing one evaluation's data (docs/evaluation-data.md): from the command line (a JSON
file; with `create`, also the region, department, fiscal year and evaluation it names) and from
a filer's filled .xlsx template (the department's inputs and the target rows only).

One transaction: everything is validated against the evaluation's rubric before anything is
written, and a refused file changes nothing. The writes go the way of the filing steps: the row
is locked, only an editable evaluation (填报中, 已退回) is changed, every field change is recorded
(services.common.record_changes), the version is bumped and the stored totals refreshed.
Target tasks and rows are matched to the saved ones by section and name, so a re-import keeps
their identity (and the 复核分 and 批注 attached to them); the rest are marked deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from .. import audit, snapshot, transfer, workflow
from ..models import (
    BonusEvent,
    Department,
    DutyIndicator,
    DutyTask,
    Evaluation,
    FigureValue,
    FiscalYear,
    IndicatorAnswer,
    Region,
    ReportSection,
    RubricVersion,
)
from ..transfer import EvaluationData, Problem, TransferError
from .common import locked, locked_for_filer, record_changes, refresh_totals
from .editing import _save_sections
from .errors import NotEditable


@dataclass
class ImportResult:
    evaluation: Evaluation
    created: list[str] = field(default_factory=list)  # what --create made, described
    changes: int = 0  # fields recorded in the history
    dry_run: bool = False


class _DryRun(Exception):
    """Raised at the end of a dry run to roll the transaction back."""


def evaluation_import(
    raw: Mapping[str, Any], *, actor=None, create: bool = False, dry_run: bool = False
) -> ImportResult:
    """Import a JSON file's data (transfer.read_json) into the evaluation it names. Without
    `create` the department, its fiscal year and evaluation must exist; with it, the ones
    missing are created (the fiscal year with the rubric version named, already loaded).
    With `dry_run` everything is checked and written, then rolled back."""
    header = transfer.read_header(raw)
    result: ImportResult | None = None
    try:
        with transaction.atomic():
            created: list[str] = []
            evaluation = locked(_resolve(header, create=create, created=created))
            _require_editable(evaluation)
            if evaluation.rubric.key != header.rubric_key:
                raise TransferError(
                    [
                        Problem(
                            "rubric",
                            f"文件按评分体系 {header.rubric_key} 填写，"
                            f"而该自评采用 {evaluation.rubric.key}",
                        )
                    ]
                )
            data = transfer.validate(
                raw, evaluation.rubric.spec, current_inputs=_figures(evaluation)
            )
            changes = _replace(evaluation, data, actor, department_created=bool(created))
            result = ImportResult(evaluation, created, changes, dry_run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    assert result is not None
    return result


def evaluation_import_template(
    evaluation_id: int,
    actor,
    raw: Mapping[str, Any],
    *,
    meta: Mapping[str, Any],
    locations: Mapping[str, str] | None = None,
) -> ImportResult:
    """A filer's filled template (xlsx_template.read_template): the department's own inputs
    and the target rows. The finance bureau's inputs are shown in the template but not theirs
    to change; the rest of the evaluation is left as it is."""
    with transaction.atomic():
        evaluation = locked_for_filer(evaluation_id, actor, what="导入")
        problems = []
        if meta.get("rubric") != evaluation.rubric.key:
            problems.append(
                Problem(
                    "说明",
                    f"该模板按评分体系 {meta.get('rubric') or '（未知）'} 生成，"
                    f"与本自评的评分体系 {evaluation.rubric.key} 不符，请重新下载模板",
                )
            )
        if (
            meta.get("department") != evaluation.department.code
            or meta.get("year") != evaluation.fiscal_year.year
            or meta.get("project", "") != evaluation.project
        ):
            problems.append(
                Problem(
                    "说明",
                    f"该模板属于 {meta.get('department') or '（未知）'} 的 "
                    f"{meta.get('year') or '（未知）'} 年度自评，不是本自评的模板",
                )
            )
        if problems:
            raise TransferError(problems)
        allowed = {k: v for k, v in raw.items() if k in ("inputs", "target_rows")}
        data = transfer.validate(
            allowed,
            evaluation.rubric.spec,
            current_inputs=_figures(evaluation),
            sources=("department",),
            locations=locations,
        )
        changes = _replace(evaluation, data, actor)
        return ImportResult(evaluation, [], changes)


# ---------------------------------------------------------------------------- finding it


def _problem(path: str, message: str) -> TransferError:
    return TransferError([Problem(path, message)])


def _resolve(header: transfer.Header, *, create: bool, created: list[str]) -> int:
    """The id of the evaluation the file names, creating what is missing if `create`."""
    hint = "（导入时加 --create 可一并新建）"
    for path, code in (
        ("department.code", header.department_code),
        ("department.region.code", header.region_code),
    ):
        try:
            validate_slug(code)
        except ValidationError as exc:
            raise _problem(path, "编码只能含英文字母、数字、连字符和下划线") from exc
    department = (
        Department.objects.select_related("region").filter(code=header.department_code).first()
    )
    if department is not None and department.region.code != header.region_code:
        raise _problem(
            "department.region.code",
            f"部门 {department.code} 属于区域 {department.region.code}（{department.region.name}），"
            f"文件中为 {header.region_code}",
        )
    if department is None:
        if not create:
            raise _problem(
                "department.code", f"没有单位编码为 {header.department_code} 的部门{hint}"
            )
        region = Region.objects.filter(code=header.region_code).first()
        if region is None:
            region = Region.objects.create(
                code=header.region_code,
                name=header.region_name,
                finance_bureau=header.finance_bureau or f"{header.region_name}财政局",
            )
            created.append(f"区域：{region.name}（{region.code}）")
        department = Department.objects.create(
            code=header.department_code,
            name=header.department_name,
            short_name=header.short_name,
            unit_type=header.unit_type,
            region=region,
        )
        created.append(f"部门：{department.name}（{department.code}）")
    fiscal_year = FiscalYear.objects.filter(region=department.region, year=header.year).first()
    if fiscal_year is None:
        if not create:
            raise _problem("year", f"区域 {department.region.name} 没有 {header.year} 年度{hint}")
        rubric = RubricVersion.objects.filter(key=header.rubric_key).first()
        if rubric is None:
            raise _problem(
                "rubric",
                f"评分体系版本 {header.rubric_key} 尚未载入，请先用 load_rubric 命令载入",
            )
        fiscal_year = FiscalYear.objects.create(
            region=department.region,
            year=header.year,
            rubric=rubric,
            project_rubric=rubric if header.project else None,
        )
        created.append(f"年度：{fiscal_year}（评分体系 {rubric.key}）")
    evaluation = Evaluation.objects.filter(
        department=department, fiscal_year=fiscal_year, project=header.project
    ).first()
    if evaluation is None:
        named = f"项目“{header.project}”的" if header.project else ""
        if not create:
            raise _problem(
                "project" if header.project else "department.code",
                f"部门 {department.name} 没有 {header.year} 年度{named}自评{hint}",
            )
        rubric = fiscal_year.project_rubric if header.project else fiscal_year.rubric
        if rubric is None:
            raise _problem(
                "project", f"{header.year} 年度未设置项目支出评分体系，不能新建项目支出自评"
            )
        evaluation = Evaluation.objects.create(
            department=department, fiscal_year=fiscal_year, rubric=rubric, project=header.project
        )
        created.append(f"自评：{evaluation}")
    return evaluation.pk


def _require_editable(evaluation: Evaluation) -> None:
    if evaluation.status not in workflow.EDITABLE:
        raise NotEditable(
            f"这份自评当前状态为“{evaluation.get_status_display()}”，不能导入数据；"
            "只有填报中或已退回的自评可以导入。"
        )


def _figures(evaluation: Evaluation) -> dict:
    """The stored inputs as Python values, to compare the ones a filer may not change."""
    specs = evaluation.rubric.spec.inputs_by_key
    return {
        f.key: transfer.input_value(specs[f.key], f)
        for f in FigureValue.objects.filter(evaluation=evaluation)
        if f.key in specs
    }


# ---------------------------------------------------------------------------- writing it


def _replace(
    evaluation: Evaluation, data: EvaluationData, actor, *, department_created: bool = False
) -> int:
    """Write the parts `data` has, record the changes, bump the version, refresh the totals."""
    before = snapshot.flatten(evaluation)
    updates: dict[str, Any] = {}
    if data.staffing is not None:
        updates.update(data.staffing)
        if department_created:
            Department.objects.filter(pk=evaluation.department_id).update(**data.staffing)
    if data.goals is not None:
        updates.update({name: data.goals.get(name, "") for name in transfer.GOAL_FIELDS})
    if data.has_report_date:
        updates["report_date"] = data.report_date
    if data.report_meta is not None:
        updates.update(
            {name: data.report_meta.get(name, "") for name in transfer.REPORT_META_FIELDS}
        )
    if updates:
        for name, value in updates.items():
            setattr(evaluation, name, value)
        evaluation.save(update_fields=list(updates))
    if data.inputs is not None or data.input_notes is not None:
        _replace_inputs(evaluation, data)
    if data.answers is not None:
        _replace_answers(evaluation, data.answers)
    if data.tasks is not None:
        first = next(iter(s.code for s in evaluation.rubric.spec.target_sections()), "")
        _replace_tasks(evaluation, data.tasks, first)
    if data.events is not None:
        BonusEvent.objects.filter(evaluation=evaluation).delete()
        BonusEvent.objects.bulk_create(
            BonusEvent(
                evaluation=evaluation,
                kind=e.kind,
                description=e.description,
                occurred_on=e.occurred_on,
                recorded_by=actor,
            )
            for e in data.events
        )
    if data.sections is not None:
        ReportSection.objects.filter(evaluation=evaluation).exclude(
            key__in=list(data.sections)
        ).delete()
        _save_sections(Evaluation.objects.get(pk=evaluation.pk), data.sections)
    evaluation = Evaluation.objects.get(pk=evaluation.pk)  # no stale prefetched rows
    changes = record_changes(evaluation, actor, before)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    refresh_totals(evaluation.pk)
    audit.record("evaluation_import", user=actor, evaluation=evaluation.pk, changes=changes)
    return changes


def _replace_inputs(evaluation: Evaluation, data: EvaluationData) -> None:
    specs = evaluation.rubric.spec.inputs_by_key
    existing = {f.key: f for f in FigureValue.objects.filter(evaluation=evaluation)}
    keys = set(existing) | set(data.inputs or ()) | set(data.input_notes or ())
    for key in sorted(keys):
        row = existing.get(key)
        spec = specs.get(key)
        if spec is None or spec.derived or key in data.untouched_inputs:
            if spec is None and row is not None and data.inputs is not None:
                row.delete()  # not an input of this rubric
            if spec is None or spec.derived or data.input_notes is None:
                continue
        if data.inputs is not None and key not in data.untouched_inputs:
            fields = transfer.input_fields(spec, data.inputs.get(key))
        elif row is not None:
            fields = {"value": row.value, "text": row.text}
        else:
            fields = {"value": None, "text": ""}
        if data.input_notes is not None:
            fields["note"] = data.input_notes.get(key, "")
        else:
            fields["note"] = row.note if row is not None else ""
        empty = fields["value"] is None and not fields["text"] and not fields["note"]
        if row is None:
            if not empty:
                FigureValue.objects.create(evaluation=evaluation, key=key, **fields)
        elif empty:
            row.delete()
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.save(update_fields=list(fields))


def _replace_answers(evaluation: Evaluation, answers: Mapping[str, Any]) -> None:
    IndicatorAnswer.objects.filter(evaluation=evaluation).exclude(code__in=list(answers)).delete()
    existing = {a.code: a for a in IndicatorAnswer.objects.filter(evaluation=evaluation)}
    for code, given in answers.items():
        row = existing.get(code) or IndicatorAnswer(evaluation=evaluation, code=code)
        new = (dict(given.choices), given.claimed, given.reason, given.note)
        if row.pk and (row.choices, row.claimed, row.claimed_reason, row.note) == new:
            continue
        row.choices, row.claimed, row.claimed_reason, row.note = new
        row.save()


def _replace_tasks(evaluation: Evaluation, tasks: list[transfer.TaskData], first: str) -> None:
    """Match the given tasks to the live ones by (section, name) and their rows by name, in
    order; update those in place, create the rest, mark the unmatched saved ones deleted."""
    now = timezone.now()
    live = DutyTask.objects.filter(evaluation=evaluation, deleted_at__isnull=True).prefetch_related(
        Prefetch("rows", queryset=DutyIndicator.objects.filter(deleted_at__isnull=True))
    )
    pool: dict[tuple[str, str], list[DutyTask]] = {}
    all_rows: set[int] = set()
    for task in live:
        pool.setdefault((task.section or first, task.name), []).append(task)
        all_rows |= {r.pk for r in task.rows.all()}
    kept_tasks: set[int] = set()
    kept_rows: set[int] = set()
    for t, given in enumerate(tasks, start=1):
        section = "" if given.section == first else given.section
        matches = pool.get((given.section, given.name))
        task = matches.pop(0) if matches else None
        saved_rows: dict[str, list[DutyIndicator]] = {}
        if task is None:
            task = DutyTask.objects.create(
                evaluation=evaluation, section=section, position=t, name=given.name
            )
        else:
            for row in task.rows.all():
                saved_rows.setdefault(row.name, []).append(row)
            if (task.section, task.position) != (section, t):
                task.section, task.position = section, t
                task.save(update_fields=["section", "position"])
        kept_tasks.add(task.pk)
        for i, values in enumerate(given.rows, start=1):
            candidates = saved_rows.get(values["name"])
            row = candidates.pop(0) if candidates else None
            if row is None:
                DutyIndicator.objects.create(task=task, position=i, **values)
                continue
            kept_rows.add(row.pk)
            wanted = {**values, "position": i}
            changed = [name for name, value in wanted.items() if getattr(row, name) != value]
            if changed:
                for name in changed:
                    setattr(row, name, wanted[name])
                row.save(update_fields=changed)
    DutyIndicator.objects.filter(pk__in=all_rows - kept_rows).update(deleted_at=now)
    DutyTask.objects.filter(evaluation=evaluation, deleted_at__isnull=True).exclude(
        pk__in=kept_tasks
    ).update(deleted_at=now)
