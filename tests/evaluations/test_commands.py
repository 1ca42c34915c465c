"""The seed_demo and score management commands (database)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from evaluations.demo import DEMO_PASSWORD
from evaluations.models import Department, Evaluation, Region, RubricVersion

DEPARTMENT = "nansha-cppcc-office"
DECIMAL = re.compile(r"^-?\d+\.\d{2}$")
INDICATOR_KEYS = {"code", "name", "level", "points", "computed", "claimed", "reviewed", "final"}
INDICATOR_KEYS |= {"basis", "warnings"}


@pytest.fixture(autouse=True)
def _development(settings):
    """seed_demo runs in development (DEBUG on, as `make run`); pytest-django turns DEBUG off."""
    settings.DEBUG = True


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def all_models():
    """Every model of the project, the user model, and the many-to-many tables."""
    models = [*apps.get_app_config("evaluations").get_models(), get_user_model()]
    return [*models, Region.reviewers.through, Department.filers.through]


def snapshot():
    return {
        m._meta.label: list(m.objects.order_by("pk").values())  # every field of every row
        for m in all_models()
    }


# ---------------------------------------------------------------------------- seed_demo


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    first = run("seed_demo")
    before = snapshot()
    second = run("seed_demo")
    after = snapshot()
    assert "新建 自评：中国人民政治协商会议广州市南沙区委员会办公室 2022年度" in first
    assert "新建" not in second
    assert "演示数据已存在，未作改动。" in second
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    assert after == before


@pytest.mark.django_db
def test_seed_demo_counts():
    from evaluations.demo import seed_demo

    seed_demo()
    counts = {m._meta.label: m.objects.count() for m in all_models()}
    assert counts["evaluations.RubricVersion"] == 1
    assert counts["evaluations.Region"] == 1
    assert counts["evaluations.FiscalYear"] == 1
    assert counts["evaluations.Department"] == 2
    assert counts["evaluations.Evaluation"] == 2
    assert counts["evaluations.FigureValue"] == 34
    assert counts["evaluations.DutyTask"] == 4
    assert counts["evaluations.DutyIndicator"] == 13
    assert counts["evaluations.IndicatorAnswer"] == 22
    assert counts["evaluations.BonusEvent"] == 0
    assert counts[get_user_model()._meta.label] == 4
    empty = Evaluation.objects.get(department__code="nansha-demo-bureau")
    assert not empty.figures.exists() and not empty.tasks.exists()


@pytest.mark.django_db
def test_seed_demo_command_adds_the_second_rubrics_project_evaluation():
    """The MoF 财预〔2020〕10号 layout, loaded only as data, with a filled-in evaluation."""
    out = run("seed_demo")
    assert "新建 评分体系：项目支出绩效自评评分体系（财预〔2020〕10号布局）" in out
    assert "filer3" in out
    e = Evaluation.objects.get(department__code="demo-county-agriculture")
    assert e.rubric.key == "mof-project-2020" and e.rubric.spec.kind == "project"
    assert set(e.tasks.values_list("section", flat=True)) == {"2", "3", "4"}
    assert (e.computed_total, e.claimed_total) == (Decimal("92.82"), Decimal("92.82"))
    assert RubricVersion.objects.count() == 2


def test_seed_demo_keeps_what_a_user_edited(seeded):
    from evaluations.demo import seed_demo
    from evaluations.models import IndicatorAnswer

    answer = IndicatorAnswer.objects.get(evaluation__department__code=DEPARTMENT, code="1.1.1")
    answer.claimed_reason = "已补充理由"
    answer.save()
    assert seed_demo() == []
    answer.refresh_from_db()
    assert answer.claimed_reason == "已补充理由"


@pytest.mark.parametrize("username", ["filer", "filer2", "reviewer", "admin"])
def test_demo_users_log_in(seeded, client, username):
    assert client.login(username=username, password=DEMO_PASSWORD)
    client.logout()
    assert not client.login(username=username, password="wrong-password")


def test_demo_users_roles(seeded):
    users = {u.username: u for u in get_user_model().objects.all()}
    assert set(users) == {"filer", "filer2", "reviewer", "admin"}
    own = Department.objects.get(code=DEPARTMENT)
    other = Department.objects.get(code="nansha-demo-bureau")
    assert list(own.filers.all()) == [users["filer"]]
    assert list(other.filers.all()) == [users["filer2"]]
    region = Region.objects.get(code="nansha")
    assert list(region.reviewers.all()) == [users["reviewer"]]
    assert own.region == other.region == region
    assert users["admin"].is_superuser and users["admin"].is_staff
    for name in ("filer", "filer2", "reviewer"):
        assert not users[name].is_superuser and not users[name].is_staff


# ---------------------------------------------------------------------------- score


@pytest.fixture
def score_json(seeded):
    return json.loads(run("score", DEPARTMENT, "2022", "--json"))


def test_score_json_shape(score_json):
    data = score_json
    assert {"department", "year", "rubric", "indicators", "totals"} <= set(data)
    assert data["department"]["code"] == DEPARTMENT
    assert data["year"] == 2022
    assert data["rubric"]["key"] == "guangzhou-nansha-2022"
    assert set(data["totals"]) == {"computed", "claimed", "reviewed", "final"}
    for item in data["indicators"]:
        assert set(item) >= INDICATOR_KEYS, item["code"]
        assert isinstance(item["level"], int)
        for key in ("points", "computed", "claimed", "reviewed", "final"):
            assert item[key] is None or DECIMAL.match(item[key]), (item["code"], key)
        for w in item["warnings"]:
            assert w["code"] and w["message"]


def test_score_json_values(score_json):
    data = score_json
    assert data["coverage"] == {
        "missing_count": 5,
        "missing_points": "14.20",
        "judgement_count": 1,
        "judgement_points": "3.00",
        "text": "其中 5 项缺少数据，按自评分计，共 14.20 分；1 项为人工评分，按自评分计，共 3.00 分",
    }
    assert data["totals"] == {
        "computed": "90.74",
        "claimed": "97.61",
        "reviewed": None,
        "final": "97.61",
    }
    lines = {item["code"]: item for item in data["indicators"]}
    assert lines["1.1.1"]["computed"] == "1.57"
    assert lines["1.1.1"]["claimed"] == "2.00"
    assert lines["1.1.1"]["points"] == "2.00"
    assert lines["1.1.3"]["computed"] is None
    assert lines["2.2.3"]["level"] == 3
    assert "claimed_differs" in [w["code"] for w in lines["1.1.1"]["warnings"]]
    assert [c["code"] for c in data["consistency"]] == [
        "budget_by_level",
        "basic_composition",
        "final_by_level",
        "appropriation_revenue",
        "budget_adjustment",
    ]


def test_score_text(seeded):
    out = run("score", DEPARTMENT, "2022")
    assert "2022年度部门整体支出绩效自评表" in out
    assert "总分" in out
    total = next(line for line in out.splitlines() if line.startswith("总分"))
    assert "自评 97.61" in total
    assert "最终 97.61（优）" in total
    assert "预算完成率＝1954.07÷1997.16×100%＝97.84%" in out
    assert "收支数据核对" in out and "相差0.57" in out


@pytest.mark.parametrize(("code", "year"), [("no-such-department", "2022"), (DEPARTMENT, "2021")])
def test_score_unknown_department_or_year(seeded, code, year):
    with pytest.raises(CommandError) as exc:
        run("score", code, year)
    message = str(exc.value)
    assert "没有找到" in message
    assert code in message and year in message


def test_refresh_totals_if_stale_uses_a_stamp(seeded, settings, tmp_path, monkeypatch):
    """Stored totals follow the scoring code and the rubric versions: --if-stale recomputes
    them once after a change of either (a digest stamp in storage) and is a no-op otherwise."""
    from django.core.management import call_command

    from evaluations.models import Evaluation
    from evaluations.services import common

    settings.MEDIA_ROOT = str(tmp_path)
    Evaluation.objects.update(claimed_total=None)
    call_command("refresh_totals", "--if-stale")
    assert not Evaluation.objects.filter(claimed_total=None).exists()
    Evaluation.objects.update(claimed_total=None)
    call_command("refresh_totals", "--if-stale")  # nothing changed: nothing recomputed
    assert not Evaluation.objects.exclude(claimed_total=None).exists()
    monkeypatch.setattr(common, "totals_stamp", lambda: "engine changed")
    call_command("refresh_totals", "--if-stale")
    assert not Evaluation.objects.filter(claimed_total=None).exists()
