"""项目支出 evaluations: several per department and year, each named after its project. The
creation service and its access policy, the filer home's form (errors next to the field,
nothing lost), the names on the pages and exports, the uniqueness rules, the commands'
--project."""

from __future__ import annotations

import csv
import io
import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from evaluations import services
from evaluations.models import Department, Evaluation, FiscalYear

DEPARTMENT = "demo-county-agriculture"
FIRST = "高标准农田建设项目"
SECOND = "农村人居环境整治项目"


@pytest.fixture
def project_year(db) -> FiscalYear:
    from evaluations.demo import seed_demo

    seed_demo(with_project=True)
    return FiscalYear.objects.select_related("project_rubric").get(
        region__code="demo-county", year=2023
    )


@pytest.fixture
def department(project_year) -> Department:
    return Department.objects.get(code=DEPARTMENT)


@pytest.fixture
def filer3(project_year):
    return get_user_model().objects.get(username="filer3")


@pytest.fixture
def second(project_year, department, filer3) -> Evaluation:
    return services.evaluation_create_project(
        actor=filer3, department=department, fiscal_year=project_year, project=SECOND
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------- the service


def test_demo_evaluation_is_a_named_project_under_the_years_project_rubric(project_year):
    e = Evaluation.objects.get(department__code=DEPARTMENT)
    assert e.project == FIRST
    assert project_year.project_rubric.key == "mof-project-2020"
    assert e.rubric == project_year.project_rubric
    assert str(e) == f"示范县农业农村局 2023年度 {FIRST}"


def test_create_a_second_project_evaluation(second, project_year, department):
    assert second.project == SECOND and second.status == "draft"
    assert second.rubric == project_year.project_rubric
    assert second.rubric.spec.kind == "project"
    # its own staffing copy, its own (empty) figures and rows
    assert second.staff_actual == department.staff_actual == 47
    assert not second.figures.exists() and not second.tasks.exists()
    assert second.blocking_count > 0  # totals and problems refreshed for the dashboard
    projects = Evaluation.objects.filter(department=department, fiscal_year=project_year)
    assert sorted(projects.values_list("project", flat=True)) == sorted([FIRST, SECOND])


def test_a_taken_project_name_is_refused_on_the_field(second, project_year, department, filer3):
    with pytest.raises(services.FieldInvalid) as caught:
        services.evaluation_create_project(
            actor=filer3, department=department, fiscal_year=project_year, project=f"  {SECOND} "
        )
    assert caught.value.field == "project"
    assert f"已有项目“{SECOND}”的自评" in caught.value.message
    assert Evaluation.objects.filter(department=department).count() == 2


@pytest.mark.parametrize(
    ("name", "message"), [("   ", "请填写项目名称"), ("项" * 201, "不能超过200个字")]
)
def test_blank_or_long_project_names_are_refused(project_year, department, filer3, name, message):
    with pytest.raises(services.FieldInvalid, match=message):
        services.evaluation_create_project(
            actor=filer3, department=department, fiscal_year=project_year, project=name
        )


def test_only_the_departments_filer_may_create(project_year, department):
    from evaluations.demo import seed_demo

    seed_demo()  # the nansha filer, reviewer
    User = get_user_model()
    for username in ("filer", "reviewer"):
        with pytest.raises(services.NotFound):
            services.evaluation_create_project(
                actor=User.objects.get(username=username),
                department=department,
                fiscal_year=project_year,
                project="越权项目",
            )
    assert not Evaluation.objects.filter(project="越权项目").exists()


def test_a_year_without_project_rubric_refuses(project_year):
    from evaluations.demo import seed_demo

    seed_demo()
    filer = get_user_model().objects.get(username="filer")
    nansha = FiscalYear.objects.get(region__code="nansha", year=2022)
    assert nansha.project_rubric is None
    with pytest.raises(services.NotAllowed, match="未设置项目支出评分体系"):
        services.evaluation_create_project(
            actor=filer,
            department=filer.departments.get(),
            fiscal_year=nansha,
            project="某项目",
        )


def test_database_keeps_one_department_evaluation_and_one_per_project_name(
    project_year, department
):
    rubric = project_year.rubric
    Evaluation.objects.create(department=department, fiscal_year=project_year, rubric=rubric)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(department=department, fiscal_year=project_year, rubric=rubric)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(
            department=department, fiscal_year=project_year, rubric=rubric, project=FIRST
        )
    Evaluation.objects.create(
        department=department, fiscal_year=project_year, rubric=rubric, project=SECOND
    )
    assert Evaluation.objects.filter(department=department).count() == 3


# ---------------------------------------------------------------------------- the home form


def test_home_lists_both_projects_and_offers_the_form(second, filer3):
    html = client_for(filer3).get(reverse("filing:home")).content.decode()
    names = re.findall(r'data-testid="evaluation-name">(.*?)</td>', html, re.S)
    # ordered by department, then project name
    assert [re.sub(r"<.*?>", "", n) for n in names] == [f"项目支出{SECOND}", f"项目支出{FIRST}"]
    assert "新建项目支出自评" in html and 'data-testid="project-form"' in html


def test_home_form_creates_and_opens_the_evaluation(project_year, filer3):
    client = client_for(filer3)
    response = client.post(
        reverse("filing:project_create"),
        {
            "target": f"{Department.objects.get(code=DEPARTMENT).pk}-{project_year.pk}",
            "project": SECOND,
        },
    )
    created = Evaluation.objects.get(project=SECOND)
    assert response.status_code == 302
    assert response["Location"] == reverse("filing:start", args=[created.pk])
    step = client.get(response["Location"], follow=True).content.decode()
    assert f'data-testid="project-name">{SECOND}</span>' in step
    assert "2023年度项目支出绩效自评" in step


def _field_block(html: str) -> str:
    start = html.index('id="div_id_project"')
    return html[start : html.index("</form>", start)]


def test_home_form_shows_a_taken_name_next_to_the_field(second, project_year, filer3):
    before = Evaluation.objects.count()
    response = client_for(filer3).post(
        reverse("filing:project_create"),
        {
            "target": f"{second.department_id}-{project_year.pk}",
            "project": SECOND,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    block = _field_block(html)
    assert f"本部门该年度已有项目“{SECOND}”的自评" in block
    assert "is-invalid" in block and f'value="{SECOND}"' in block  # kept as typed
    assert 'role="alert"' in html
    assert Evaluation.objects.count() == before


def test_home_form_requires_a_name_of_at_most_200_characters(project_year, filer3):
    target = f"{Department.objects.get(code=DEPARTMENT).pk}-{project_year.pk}"
    client = client_for(filer3)
    empty = client.post(reverse("filing:project_create"), {"target": target, "project": ""})
    assert "请填写项目名称。" in _field_block(empty.content.decode())
    long = client.post(reverse("filing:project_create"), {"target": target, "project": "项" * 201})
    block = _field_block(long.content.decode())
    assert "项目名称不能超过200个字。" in block and "项" * 201 in block
    assert Evaluation.objects.filter(department__code=DEPARTMENT).count() == 1


def test_another_departments_filer_cannot_target_this_department(project_year):
    from evaluations.demo import seed_demo

    seed_demo()
    filer = get_user_model().objects.get(username="filer")
    client = client_for(filer)
    assert "新建项目支出自评" not in client.get(reverse("filing:home")).content.decode()
    response = client.post(
        reverse("filing:project_create"),
        {
            "target": f"{Department.objects.get(code=DEPARTMENT).pk}-{project_year.pk}",
            "project": "越权项目",
        },
        follow=True,
    )
    assert "均未设置项目支出评分体系" in response.content.decode()
    assert not Evaluation.objects.filter(project="越权项目").exists()


# ---------------------------------------------------------------------------- reviewer side


@pytest.fixture
def reviewer(project_year):
    return get_user_model().objects.get(username="reviewer")


def test_dashboard_and_export_show_both_projects(second, reviewer):
    client = client_for(reviewer)
    url = reverse("review:dashboard", args=["demo-county", 2023])
    html = client.get(url).content.decode()
    names = re.findall(r'data-testid="evaluation-name">(.*?)</td>', html, re.S)
    # ordered by department, then project name
    assert [re.sub(r"<.*?>", "", n) for n in names] == [f"项目支出{SECOND}", f"项目支出{FIRST}"]
    body = client.get(url, {"export": "csv"}).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][-1] == "项目名称"
    assert sorted(r[-1] for r in table[1:]) == sorted([FIRST, SECOND])
    assert {r[0] for r in table[1:]} == {DEPARTMENT}
    found = client.get(url, {"q": "人居环境"}).content.decode()
    assert SECOND in found and FIRST not in found


def test_review_page_heading_names_the_project(second, reviewer):
    html = client_for(reviewer).get(reverse("review:evaluation", args=[second.pk])).content
    assert f'data-testid="project-name">{SECOND}</span>' in html.decode()


# ---------------------------------------------------------------------------- commands


def test_commands_without_project_list_the_projects(second):
    for command in (("score", DEPARTMENT, "2023"), ("evaluation_export", DEPARTMENT, "2023")):
        with pytest.raises(CommandError) as caught:
            run(*command)
        message = str(caught.value)
        assert "没有部门整体自评" in message
        assert f"“{FIRST}”" in message and f"“{SECOND}”" in message and "--project" in message


def test_commands_with_project_pick_that_evaluation(second):
    out = run("score", DEPARTMENT, "2023", "--project", FIRST)
    assert f"项目名称：{FIRST}" in out
    data = json.loads(run("score", DEPARTMENT, "2023", "--project", SECOND, "--json"))
    assert data["project"] == SECOND
    exported = json.loads(run("evaluation_export", DEPARTMENT, "2023", "--project", FIRST))
    assert exported["project"] == FIRST
    assert exported["rubric"] == "mof-project-2020"
    with pytest.raises(CommandError, match=r"没有找到.*项目“无此项目”"):
        run("score", DEPARTMENT, "2023", "--project", "无此项目")


def test_export_import_round_trip_keeps_the_project(second, tmp_path):
    path = tmp_path / "first.json"
    call_command(
        "evaluation_export",
        DEPARTMENT,
        "2023",
        "--project",
        FIRST,
        "-o",
        str(path),
        stderr=StringIO(),
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    data["goals"]["overall_goal"] = "导入后的目标"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = run("evaluation_import", str(path))
    assert FIRST in out
    assert Evaluation.objects.get(project=FIRST).overall_goal == "导入后的目标"
    assert Evaluation.objects.get(project=SECOND).overall_goal == ""
    # a file naming a new project creates it with --create, under the year's project rubric
    data["project"] = "第三个项目"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="没有 2023 年度项目“第三个项目”的自评"):
        run("evaluation_import", str(path))
    run("evaluation_import", str(path), "--create")
    third = Evaluation.objects.get(project="第三个项目")
    assert third.rubric.key == "mof-project-2020" and third.overall_goal == "导入后的目标"


def test_department_kind_is_still_found_without_project(seeded):
    out = run("score", "nansha-cppcc-office", "2022")
    assert "项目名称" not in out and "政协" in out
