"""Starting a 项目支出 evaluation: several per department and year, each named after its
project, under the fiscal year's project rubric."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .. import access, audit
from ..models import Department, Evaluation, FiscalYear
from .common import refresh_totals
from .errors import FieldInvalid
from .text import CONTROL

PROJECT_MAX_LENGTH = Evaluation._meta.get_field("project").max_length


def project_taken_message(project: str) -> str:
    return f"本部门该年度已有项目“{project}”的自评，请换一个项目名称，或在列表中打开已有的自评。"


def evaluation_create_project(
    *, actor, department: Department, fiscal_year: FiscalYear, project: str
) -> Evaluation:
    """A new draft 项目支出 evaluation of `department` for `fiscal_year`, named `project`.

    Refused (services.errors) unless the actor is a filer of the department and the year has
    a project rubric; a blank, too long or already used project name is a FieldInvalid on
    `project`."""
    access.require_project_create(actor, department, fiscal_year)
    if CONTROL.search(project):
        raise FieldInvalid("project", "项目名称含有不可见的控制字符，请删除后再保存。")
    name = " ".join(project.split())
    if not name:
        raise FieldInvalid("project", "请填写项目名称。")
    if len(name) > PROJECT_MAX_LENGTH:
        raise FieldInvalid("project", f"项目名称不能超过{PROJECT_MAX_LENGTH}个字。")
    taken = FieldInvalid("project", project_taken_message(name))
    try:
        with transaction.atomic():
            locked_year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
            if Evaluation.objects.filter(
                department=department, fiscal_year=locked_year, project=name
            ).exists():
                raise taken
            evaluation = Evaluation.objects.create(
                department=department,
                fiscal_year=locked_year,
                project=name,
                rubric=locked_year.project_rubric,
            )
    except IntegrityError as exc:  # a concurrent request took the name first
        raise taken from exc
    refresh_totals(evaluation.pk)
    evaluation.refresh_from_db()
    audit.record(
        "evaluation_created", user=actor, evaluation=evaluation.pk, project=evaluation.project
    )
    return evaluation
