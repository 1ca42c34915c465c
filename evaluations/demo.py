"""Demo data for development: the 2022 南沙区政协 case from the seed documents, a second
department with an empty evaluation, and four demo users. Idempotent: what exists is kept
as it is, so a second run changes nothing (not even what a user has edited since)."""

from __future__ import annotations

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
)
from .services import rubric_load
from .services.common import refresh_totals

DATA = Path(__file__).parent / "demo" / "nansha_2022.yaml"
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

SECOND_DEPARTMENT = {
    "code": "nansha-demo-bureau",
    "name": "广州市南沙区示例局",
    "short_name": "示例局",
}


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def seed_demo() -> list[str]:
    """Load everything; return lines describing what was created (empty on a second run)."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    done: list[str] = []

    rubric_path = loader.VERSIONS_DIR / f"{data['fiscal_year']['rubric']}.yaml"
    rubric, created = rubric_load(rubric_path)
    if created:
        done.append(f"评分体系：{rubric.title}")

    region, created = Region.objects.get_or_create(
        code=data["region"]["code"], defaults=data["region"]
    )
    if created:
        done.append(f"区域：{region.name}")
    fy_data = data["fiscal_year"]
    fiscal_year, created = FiscalYear.objects.get_or_create(
        region=region,
        year=fy_data["year"],
        defaults={"rubric": rubric, "deadline": fy_data["deadline"]},
    )
    if created:
        done.append(f"年度：{fiscal_year}")

    dept, created = Department.objects.get_or_create(
        code=data["department"]["code"], defaults={**data["department"], "region": region}
    )
    if created:
        done.append(f"部门：{dept.name}")
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
    return done


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
        task = DutyTask.objects.create(evaluation=evaluation, position=t, name=task_data["name"])
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
        for code, answer in data["answers"].items()
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
