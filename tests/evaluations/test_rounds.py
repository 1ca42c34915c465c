"""The yearly round (issue 14 item 1): opening a round in one step, carrying the previous year
over, running it twice without creating anything twice, adding departments later, the
deadline closing edits unless a reviewer extends it, and the pages behind it."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from evaluations import access
from evaluations.models import (
    AuditLog,
    DeadlineExtension,
    Department,
    DutyIndicator,
    Evaluation,
    FigureValue,
    FiscalYear,
    Region,
    RubricVersion,
)
from evaluations.services import FieldInvalid, NotEditable, NotFound, evaluation_save_basic
from evaluations.services.rounds import extension_grant, round_open
from evaluations.services.rubrics import rubric_load
from rubric import loader

from .filing_helpers import BLANK_DEPARTMENT, SEED_DEPARTMENT

RUBRIC = "guangzhou-nansha-2022"
DEADLINE = datetime.date(2024, 4, 30)
ROW_ORDER = ("task__position", "task__id", "position", "id")


@pytest.fixture
def nansha(seeded):
    return Region.objects.get(code="nansha")


@pytest.fixture
def rubric(seeded):
    return RubricVersion.objects.get(key=RUBRIC)


def _open(region, rubric, users, **kwargs):
    return round_open(
        actor=kwargs.pop("actor", users["reviewer"]),
        region=region,
        year=kwargs.pop("year", 2023),
        rubric=rubric,
        deadline=kwargs.pop("deadline", DEADLINE),
        **kwargs,
    )


def test_open_round_creates_every_department_in_one_step(nansha, rubric, users):
    result = _open(nansha, rubric, users)
    fy = FiscalYear.objects.get(region=nansha, year=2023)
    assert result.year_created and fy.deadline == DEADLINE and fy.closes_at_deadline
    assert fy.opened_by == users["reviewer"] and fy.opened_at is not None
    assert sorted(e.department.code for e in result.created) == sorted(
        Department.objects.filter(region=nansha).values_list("code", flat=True)
    )
    assert all(e.status == "draft" and e.rubric == rubric for e in result.created)
    assert AuditLog.objects.filter(event="round_opened", user=users["reviewer"]).exists()


def test_carry_over_from_the_previous_year(nansha, rubric, users, seed_eval):
    seed_eval.staff_actual = 17
    seed_eval.save(update_fields=["staff_actual"])
    before_rows = list(
        DutyIndicator.objects.filter(task__evaluation=seed_eval)
        .order_by(*ROW_ORDER)
        .values_list("name", "target_text", "points", "actual_text")
    )
    _open(nansha, rubric, users)
    new = Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2023)

    assert new.staffing() == seed_eval.staffing() and new.staff_actual == 17
    # 基本情况 (step: basic sections) carried, the other report texts not
    texts = {s.key: s.text for s in new.sections.all()}
    old = {s.key: s.text for s in seed_eval.sections.all()}
    basic = [s.key for s in rubric.spec.report.sections if s.step == "basic"]
    assert basic and all(texts.get(k) == old[k] for k in basic if old.get(k))
    assert texts and set(texts) <= set(basic)
    # 履职效能 tasks and target rows as the starting point, without actuals or scores
    assert [t.name for t in new.tasks.all()] == [t.name for t in seed_eval.tasks.all()]
    rows = list(
        DutyIndicator.objects.filter(task__evaluation=new).order_by(
            "task__position", "position", "id"
        )
    )
    assert [(r.name, r.target_text, r.points) for r in rows] == [
        (n, t, p) for n, t, p, _a in before_rows
    ]
    assert all(r.actual_text == "" and r.claimed is None for r in rows)
    # no figures: budgets are yearly
    assert not new.figures.exists()
    # the previous year is untouched
    assert (
        list(
            DutyIndicator.objects.filter(task__evaluation=seed_eval)
            .order_by(*ROW_ORDER)
            .values_list("name", "target_text", "points", "actual_text")
        )
        == before_rows
    )


def test_carry_over_inputs_marked_in_the_rubric(nansha, users, tmp_path, seeded):
    """An input with `carry_over: true` is copied to the next year; the others are not."""
    data = yaml.safe_load((loader.VERSIONS_DIR / f"{RUBRIC}.yaml").read_text(encoding="utf-8"))
    data["key"] = "nansha-carry-test"
    data["inputs"].append(
        {
            "key": "unit_kind",
            "label": "单位性质",
            "unit": "text",
            "required": False,
            "carry_over": True,
        }
    )
    path = tmp_path / "carry.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    version, _ = rubric_load(path)
    assert version.spec.input("unit_kind").carry_over
    assert not version.spec.input("initial_budget").carry_over

    _open(nansha, version, users, year=2023)
    e2023 = Evaluation.objects.get(department__code=BLANK_DEPARTMENT, fiscal_year__year=2023)
    FigureValue.objects.create(evaluation=e2023, key="unit_kind", text="行政单位")
    FigureValue.objects.create(evaluation=e2023, key="initial_budget", value=100)
    _open(nansha, version, users, year=2024, deadline=datetime.date(2025, 4, 30))
    e2024 = Evaluation.objects.get(department__code=BLANK_DEPARTMENT, fiscal_year__year=2024)
    assert {f.key: f.text for f in e2024.figures.all()} == {"unit_kind": "行政单位"}


def test_open_round_twice_creates_nothing_twice(nansha, rubric, users):
    _open(nansha, rubric, users)
    counts = (Evaluation.objects.count(), FiscalYear.objects.count(), DutyIndicator.objects.count())
    again = _open(nansha, rubric, users)
    assert not again.created and not again.year_created and len(again.existing) == 2
    assert (
        Evaluation.objects.count(),
        FiscalYear.objects.count(),
        DutyIndicator.objects.count(),
    ) == counts


def test_departments_added_later_to_an_open_round(nansha, rubric, users):
    seed_dept = Department.objects.get(code=SEED_DEPARTMENT)
    first = _open(nansha, rubric, users, departments=[seed_dept])
    assert [e.department.code for e in first.created] == [SEED_DEPARTMENT]
    late = Department.objects.create(code="nansha-late", name="南沙区新设局", region=nansha)
    second = _open(nansha, rubric, users)
    assert sorted(e.department.code for e in second.created) == sorted(
        [BLANK_DEPARTMENT, late.code]
    )
    assert [d.code for d in second.existing] == [SEED_DEPARTMENT]
    # a department without a previous year starts blank
    new = Evaluation.objects.get(department=late, fiscal_year__year=2023)
    assert not new.tasks.exists() and not new.sections.exists()


def test_another_rubric_for_an_opened_year_is_refused(nansha, rubric, users, tmp_path):
    _open(nansha, rubric, users)
    data = yaml.safe_load((loader.VERSIONS_DIR / f"{RUBRIC}.yaml").read_text(encoding="utf-8"))
    data["key"] = "nansha-other"
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    other, _ = rubric_load(path)
    with pytest.raises(FieldInvalid) as caught:
        _open(nansha, other, users)
    assert caught.value.field == "rubric" and "不能改用其他评分体系" in caught.value.message


def test_only_the_regions_reviewers_open_a_round(nansha, rubric, users, other_region):
    for actor in (users["filer"], other_region.reviewer):
        with pytest.raises(NotFound):
            _open(nansha, rubric, users, actor=actor)
    assert not FiscalYear.objects.filter(region=nansha, year=2023).exists()
    _open(nansha, rubric, users, actor=users["admin"])  # the admin may


# ---------------------------------------------------------------------------- the command


def test_open_round_command_is_idempotent(nansha, rubric):
    out = StringIO()
    args = ("open_round", "nansha", "2023", "--rubric", RUBRIC, "--deadline", "2024-04-30")
    call_command(*args, stdout=out)
    assert "新开通 2 个部门" in out.getvalue()
    snapshot = sorted(Evaluation.objects.values_list("pk", "department__code", "fiscal_year__year"))
    out = StringIO()
    call_command(*args, stdout=out)
    assert "新开通 0 个部门" in out.getvalue() and "2 个部门已有自评" in out.getvalue()
    assert (
        sorted(Evaluation.objects.values_list("pk", "department__code", "fiscal_year__year"))
        == snapshot
    )
    fy = FiscalYear.objects.get(region=nansha, year=2023)
    assert fy.opened_by is None and fy.deadline == DEADLINE


def test_open_round_command_with_departments(nansha, rubric):
    call_command(
        "open_round", "nansha", "2023", "--rubric", RUBRIC, "--deadline", "2024-04-30",
        "--departments", SEED_DEPARTMENT, "--remind-days", "10", stdout=StringIO(),
    )  # fmt: skip
    assert list(
        Evaluation.objects.filter(fiscal_year__year=2023).values_list("department__code", flat=True)
    ) == [SEED_DEPARTMENT]
    assert FiscalYear.objects.get(region=nansha, year=2023).remind_days_before == 10


@pytest.mark.parametrize(
    "args, message",
    [
        (("nowhere", "2023", "--rubric", RUBRIC, "--deadline", "2024-04-30"), "没有编码为 nowhere"),
        (("nansha", "2023", "--rubric", "nope", "--deadline", "2024-04-30"), "没有标识为 nope"),
        (("nansha", "2023", "--rubric", RUBRIC, "--deadline", "30/4/2024"), "YYYY-MM-DD"),
        (
            (
                "nansha",
                "2023",
                "--rubric",
                RUBRIC,
                "--deadline",
                "2024-04-30",
                "--departments",
                "x",
            ),
            "本区域没有这些单位编码：x",
        ),
    ],
)
def test_open_round_command_errors(seeded, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("open_round", *args, stdout=StringIO())
    assert not FiscalYear.objects.filter(year=2023, region__code="nansha").exists()


# ---------------------------------------------------------------------------- the deadline


@pytest.fixture
def closed(nansha, rubric, users):
    """A 2023 round whose deadline was yesterday."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _open(nansha, rubric, users, deadline=yesterday)
    return Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2023)


def _save_basic(evaluation, user):
    evaluation.refresh_from_db()
    return evaluation_save_basic(
        evaluation.pk, user, evaluation.version, department={"staff_actual": 9}, sections={}
    )


def test_edits_refused_after_the_deadline(closed, users):
    assert not access.access_for(users["filer"], closed).can("edit")
    with pytest.raises(NotEditable) as caught:
        _save_basic(closed, users["filer"])
    assert "已于" in caught.value.message and "申请延期" in caught.value.message
    closed.refresh_from_db()
    assert closed.staff_actual != 9


def test_edits_allowed_until_the_deadline_and_in_rounds_not_closed(
    nansha, rubric, users, seed_eval
):
    _open(nansha, rubric, users, deadline=timezone.localdate())
    today = Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2023)
    assert _save_basic(today, users["filer"]).staff_actual == 9
    # the seeded 2022 year has a past deadline but was not opened as a closed round
    assert seed_eval.fiscal_year.deadline < timezone.localdate()
    assert access.access_for(users["filer"], seed_eval).can("edit")


def test_extension_lets_the_department_edit_and_is_recorded(closed, users):
    until = timezone.localdate() + datetime.timedelta(days=5)
    extension = extension_grant(
        actor=users["reviewer"],
        fiscal_year=closed.fiscal_year,
        department=closed.department,
        until=until,
        reason="  单位负责人调整，  申请延期 ",
    )
    assert (extension.granted_by, extension.until, extension.reason) == (
        users["reviewer"],
        until,
        "单位负责人调整， 申请延期",
    )
    assert extension.granted_at is not None
    assert AuditLog.objects.filter(event="deadline_extended", user=users["reviewer"]).exists()
    assert _save_basic(closed, users["filer"]).staff_actual == 9
    # only that department
    other = Evaluation.objects.get(department__code=BLANK_DEPARTMENT, fiscal_year__year=2023)
    assert not access.access_for(users["filer2"], other).can("edit")


def test_an_expired_extension_closes_again(closed, users):
    DeadlineExtension.objects.create(
        fiscal_year=closed.fiscal_year,
        department=closed.department,
        until=timezone.localdate() - datetime.timedelta(days=1),
        reason="旧的延期",
        granted_by=users["reviewer"],
    )
    assert not access.access_for(users["filer"], closed).can("edit")


@pytest.mark.parametrize(
    "who, until_days, reason, error",
    [
        ("filer", 5, "理由", NotFound),
        ("reviewer", 0, "理由", FieldInvalid),  # not after the deadline
        ("reviewer", 5, "   ", FieldInvalid),
        ("reviewer", 5, "理由\x00", FieldInvalid),  # a NUL: PostgreSQL would refuse it (a 500)
        ("reviewer", 5, "长" * 501, FieldInvalid),
    ],
)
def test_extension_refusals(closed, users, who, until_days, reason, error):
    closed.fiscal_year.deadline = timezone.localdate()
    closed.fiscal_year.save()
    with pytest.raises(error):
        extension_grant(
            actor=users[who],
            fiscal_year=closed.fiscal_year,
            department=closed.department,
            until=timezone.localdate() + datetime.timedelta(days=until_days),
            reason=reason,
        )
    assert not DeadlineExtension.objects.exists()


# ---------------------------------------------------------------------------- the pages


def test_round_open_page_access(nansha, filer_client, reviewer_client, other_region):
    url = reverse("review:round_open", args=["nansha"])
    assert filer_client.get(url).status_code == 404
    page = reviewer_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "开启年度评价" in html and 'value="2023"' in html  # the year after the latest
    assert reviewer_client.get(reverse("review:round_open", args=["panyu"])).status_code == 404


def test_dashboard_links_to_opening_a_round(reviewer_client, seeded):
    html = reviewer_client.get(reverse("review:dashboard", args=["nansha", 2022])).content.decode()
    assert reverse("review:round_open", args=["nansha"]) in html


def test_round_open_page_creates_the_round(nansha, rubric, reviewer_client):
    response = reviewer_client.post(
        reverse("review:round_open", args=["nansha"]),
        {
            "year": "2023",
            "rubric": rubric.pk,
            "deadline": "2024-04-30",
            "remind_days_before": "5",
            "scope": "selected",
            "departments": [Department.objects.get(code=SEED_DEPARTMENT).pk],
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("review:dashboard", args=["nansha", 2023])
    assert "新开通 1 个部门的自评" in response.content.decode()
    fy = FiscalYear.objects.get(region=nansha, year=2023)
    assert fy.remind_days_before == 5 and fy.deadline == DEADLINE
    assert list(fy.evaluations.values_list("department__code", flat=True)) == [SEED_DEPARTMENT]


def test_round_open_page_keeps_input_on_errors(nansha, rubric, reviewer_client):
    response = reviewer_client.post(
        reverse("review:round_open", args=["nansha"]),
        {
            "year": "2023",
            "rubric": rubric.pk,
            "deadline": "",
            "remind_days_before": "5",
            "scope": "selected",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写填报截止日期。" in html and "请至少选择一个部门" in html
    assert 'value="2023"' in html and 'value="5"' in html
    assert not FiscalYear.objects.filter(region=nansha, year=2023).exists()


def test_review_home_without_any_year_opens_a_round(reviewer_client, users, nansha):
    Evaluation.objects.all().delete()
    FiscalYear.objects.all().delete()
    response = reviewer_client.get(reverse("review:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("review:round_open", args=["nansha"])


def test_extension_page(closed, reviewer_client, filer_client):
    url = reverse("review:extend", args=[closed.pk])
    assert filer_client.get(url).status_code == 404
    assert "目前已不能修改" in reviewer_client.get(url).content.decode()
    bad = reviewer_client.post(url, {"until": "", "reason": "人员调整"})
    assert "请填写延期日期。" in bad.content.decode() and "人员调整" in bad.content.decode()
    until = timezone.localdate() + datetime.timedelta(days=3)
    response = reviewer_client.post(
        url, {"until": until.isoformat(), "reason": "人员调整"}, follow=True
    )
    assert f"延期至{until:%Y-%m-%d}" in response.content.decode()
    assert DeadlineExtension.objects.get().until == until


def test_filer_sees_why_the_filing_is_read_only(closed, filer_client):
    html = filer_client.get(reverse("filing:step", args=[closed.pk, "basic"])).content.decode()
    assert 'data-testid="closed-message"' in html and "请联系财政局审核人申请延期" in html
    assert "（只读）" in html


def test_a_concurrent_opening_is_a_message_not_a_500(nansha, rubric, users, monkeypatch):
    from django.db import IntegrityError

    from evaluations.services import ServiceError

    def taken(**kwargs):
        raise IntegrityError("unique_evaluation_per_department_year_project")

    monkeypatch.setattr(Evaluation.objects, "create", taken)
    with pytest.raises(ServiceError, match="正由他人同时开启"):
        _open(nansha, rubric, users)
    assert not FiscalYear.objects.filter(region=nansha, year=2023).exists()  # rolled back


def test_dashboard_shows_the_extension_instead_of_overdue(closed, users, reviewer_client):
    dashboard = reverse("review:dashboard", args=["nansha", 2023])
    html = reviewer_client.get(dashboard).content.decode()
    assert html.count(">逾期</span>") == 2
    until = timezone.localdate() + datetime.timedelta(days=5)
    extension_grant(
        actor=users["reviewer"],
        fiscal_year=closed.fiscal_year,
        department=closed.department,
        until=until,
        reason="人员调整",
    )
    html = reviewer_client.get(dashboard).content.decode()
    assert html.count(">逾期</span>") == 1
    assert f"已延期至{until.month}月{until.day}日" in html
