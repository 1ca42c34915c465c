"""Demo data for development: the 2022 南沙区政协 case from the seed documents, a second
department with an empty evaluation, and four demo users. Idempotent: what exists is kept
as it is, so a second run changes nothing (not even what a user has edited since)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction

from rubric import loader
from rubric.rounding import money

from .models import (
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
from .services import rubric_load
from .services.common import refresh_totals

logger = logging.getLogger(__name__)
DATA = Path(__file__).parent / "demo" / "nansha_2022.yaml"
PROJECT_DATA = Path(__file__).parent / "demo" / "mof_project_2023.yaml"
DEMO_PASSWORD = "demo-pass-2022"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    description: str


DEMO_USERS = (
    DemoUser("filer", "填报人", "政协广州市南沙区委员会办公室"),
    DemoUser("filer2", "填报人", "广州市南沙区示例局（空白自评）"),
    DemoUser("reviewer", "审核人", "广州市南沙区财政局"),
    DemoUser("admin", "管理员", "全部"),
)
PROJECT_USER = DemoUser("filer3", "填报人", "示范县农业农村局（财预〔2020〕10号 项目支出自评）")

SECOND_DEPARTMENT = {
    "code": "nansha-demo-bureau",
    "name": "广州市南沙区示例局",
    "short_name": "示例局",
}


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def seed_demo(*, with_project: bool = False) -> list[str]:
    """Load everything; return lines describing what was created (empty on a second run).
    `with_project` adds the second rubric's demo (`seed_demo` command, `make run`); the test
    fixtures load the 2022 case alone."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    done: list[str] = []

    region, fiscal_year, dept = _case_frame(data, done)
    dept2, created = Department.objects.get_or_create(
        code=SECOND_DEPARTMENT["code"], defaults={**SECOND_DEPARTMENT, "region": region}
    )
    if created:
        done.append(f"部门：{dept2.name}（空白自评）")

    evaluation, created = Evaluation.objects.get_or_create(
        department=dept,
        fiscal_year=fiscal_year,
        defaults={"rubric": fiscal_year.rubric, **data["evaluation"]},
    )
    if created:
        _fill(evaluation, data)
        done.append(f"自评：{evaluation}")
    _, created = Evaluation.objects.get_or_create(
        department=dept2, fiscal_year=fiscal_year, defaults={"rubric": fiscal_year.rubric}
    )
    if created:
        done.append(f"自评：{dept2.name} {fiscal_year.year}年度（空白）")

    done.extend(_users(region, dept, dept2))
    if done:
        for e in Evaluation.objects.filter(fiscal_year=fiscal_year):
            refresh_totals(e.pk)
    if with_project:
        done.extend(_project_demo())
    return done


def _project_demo() -> list[str]:
    """A second rubric, loaded only as data: a 项目支出 self-evaluation under the MoF
    财预〔2020〕10号 layout, in its own region, filed by `filer3`."""
    data = yaml.safe_load(PROJECT_DATA.read_text(encoding="utf-8"))
    done: list[str] = []
    region, fiscal_year, dept = _case_frame(data, done)
    rubric = fiscal_year.project_rubric
    fields = dict(data["evaluation"])
    evaluation, created = Evaluation.objects.get_or_create(
        department=dept,
        fiscal_year=fiscal_year,
        project=fields.pop("project"),
        defaults={"rubric": rubric, **fields},
    )
    if created:
        _fill(evaluation, data)
        refresh_totals(evaluation.pk)
        done.append(f"自评：{evaluation}（{rubric.title}）")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=PROJECT_USER.username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        dept.filers.add(user)
        done.append(f"用户：{user.username}（{PROJECT_USER.role}，{PROJECT_USER.description}）")
    reviewer = User.objects.filter(username="reviewer").first()
    if reviewer is not None and not region.reviewers.filter(pk=reviewer.pk).exists():
        region.reviewers.add(reviewer)
    return done


def _case_frame(data: dict[str, Any], done: list[str]) -> tuple[Region, FiscalYear, Department]:
    """The rubric version, region, fiscal year and department a demo case names, created
    where missing (each creation noted in `done`)."""
    rubric, created = _rubric(data["fiscal_year"]["rubric"])
    if created:
        done.append(f"评分体系：{rubric.title}")
    region, created = Region.objects.get_or_create(
        code=data["region"]["code"], defaults=data["region"]
    )
    if created:
        done.append(f"区域：{region.name}")
    fy_data = data["fiscal_year"]
    project_rubric = None
    if fy_data.get("project_rubric"):
        project_rubric, created = _rubric(fy_data["project_rubric"])
        if created:
            done.append(f"评分体系：{project_rubric.title}")
    fiscal_year, created = FiscalYear.objects.get_or_create(
        region=region,
        year=fy_data["year"],
        defaults={
            "rubric": rubric,
            "project_rubric": project_rubric,
            "deadline": fy_data["deadline"],
        },
    )
    if created:
        done.append(f"年度：{fiscal_year}")
    elif project_rubric is not None and fiscal_year.project_rubric_id is None:
        # a database seeded before years had a project rubric
        fiscal_year.project_rubric = project_rubric
        fiscal_year.save(update_fields=["project_rubric"])
        done.append(f"年度：{fiscal_year}（项目支出评分体系 {project_rubric.key}）")
    dept, created = Department.objects.get_or_create(
        code=data["department"]["code"], defaults={**data["department"], "region": region}
    )
    if created:
        done.append(f"部门：{dept.name}")
    return region, fiscal_year, dept


def _rubric(key: str) -> tuple[RubricVersion, bool]:
    """The shipped rubric version `key`, loaded if new. A database loaded before the shipped
    file changed keeps its stored version (versions are immutable), with a warning."""
    try:
        return rubric_load(loader.VERSIONS_DIR / f"{key}.yaml")
    except loader.RubricError:
        existing = RubricVersion.objects.filter(key=key).first()
        if existing is None:
            raise
        logger.warning("评分体系 %s 的文件已更新，数据库中沿用已载入的版本。", key)
        return existing, False


def _fill(evaluation: Evaluation, data: dict[str, Any]) -> None:
    FigureValue.objects.bulk_create(
        FigureValue(
            evaluation=evaluation,
            key=key,
            value=None if value is None else money(Decimal(str(value))),
            note=note,
        )
        for key, (value, note) in data["figures"].items()
    )
    for t, task_data in enumerate(data["tasks"], start=1):
        task = DutyTask.objects.create(
            evaluation=evaluation,
            position=t,
            name=task_data["name"],
            section=task_data.get("section", ""),
        )
        DutyIndicator.objects.bulk_create(
            DutyIndicator(
                task=task,
                position=i,
                name=row["name"],
                target_text=row.get("target_text", ""),
                operator=row.get("operator", ">="),
                target_value=_dec(row.get("target_value")),
                unit=row.get("unit", ""),
                actual_text=row.get("actual_text", ""),
                actual_value=_dec(row.get("actual_value")),
                achieved=row.get("achieved"),
                points=_dec(row["points"]),
                note=row.get("note", ""),
                target_max=_dec(row.get("target_max")),
                target_date=row.get("target_date"),
                actual_date=row.get("actual_date"),
                core=row.get("core", False),
                grade=row.get("grade", ""),
                claimed=_dec(row.get("claimed")),
                claimed_reason=row.get("reason", ""),
            )
            for i, row in enumerate(task_data["rows"], start=1)
        )
    IndicatorAnswer.objects.bulk_create(
        IndicatorAnswer(
            evaluation=evaluation,
            code=code,
            choices=answer.get("choices", {}),
            claimed=_dec(answer.get("claimed")),
            claimed_reason=answer.get("reason", ""),
        )
        for code, answer in data.get("answers", {}).items()
    )
    ReportSection.objects.bulk_create(
        ReportSection(evaluation=evaluation, key=key, text=text)
        for key, text in data["sections"].items()
    )


def _users(region: Region, dept: Department, dept2: Department) -> list[str]:
    User = get_user_model()
    done = []
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(username=demo.username)
        if not created:
            continue
        user.set_password(DEMO_PASSWORD)
        if demo.username == "admin":
            user.is_staff = user.is_superuser = True
        user.save()
        if demo.username == "filer":
            dept.filers.add(user)
        elif demo.username == "filer2":
            dept2.filers.add(user)
        elif demo.username == "reviewer":
            region.reviewers.add(user)
        done.append(f"用户：{demo.username}（{demo.role}，{demo.description}）")
    return done
