"""Reminders (issue 14 item 3): automatic ones N days before the deadline and when overdue,
the dashboard's 催办; exactly the departments that have not submitted, never twice the same
day, every one recorded."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from evaluations.models import Evaluation, FiscalYear, Reminder, RubricVersion
from evaluations.services import NotFound
from evaluations.services.reminders import reminders_send_due, reminders_send_manual
from evaluations.services.rounds import round_open

from .filing_helpers import BLANK_DEPARTMENT, SEED_DEPARTMENT

DEADLINE = datetime.date(2024, 4, 30)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def round_2023(seeded, users):
    """The 2023 round (reminders 7 days before), the seed department in draft, the blank one
    submitted, and a third department whose filer has an e-mail too."""
    from evaluations.models import Department

    fy_2022 = FiscalYear.objects.get(region__code="nansha", year=2022)
    third = Department.objects.create(
        code="nansha-third", name="南沙区第三局", region=fy_2022.region
    )
    filer3 = users["filer2"].__class__.objects.create_user("filer-third", "third@example.cn", "x")
    third.filers.add(filer3)
    for name in ("filer", "filer2"):
        users[name].email = f"{name}@example.cn"
        users[name].save()
    round_open(
        actor=None,
        region=fy_2022.region,
        year=2023,
        rubric=RubricVersion.objects.get(key="guangzhou-nansha-2022"),
        deadline=DEADLINE,
        remind_days_before=7,
    )
    fy = FiscalYear.objects.get(region__code="nansha", year=2023)
    evaluations = {e.department.code: e for e in fy.evaluations.select_related("department")}
    Evaluation.objects.filter(pk=evaluations[BLANK_DEPARTMENT].pk).update(status="submitted")
    mail.outbox.clear()
    return fy, evaluations


def _sent_to() -> list[str]:
    return sorted(address for m in mail.outbox for address in m.to)


def test_before_the_deadline_only_departments_not_submitted(round_2023):
    _fy, _evaluations = round_2023
    assert not reminders_send_due(DEADLINE - 8 * DAY).sent  # before the window: nothing
    assert mail.outbox == []
    outcome = reminders_send_due(DEADLINE - 7 * DAY)
    assert sorted(e.department.code for e in outcome.sent) == [SEED_DEPARTMENT, "nansha-third"]
    assert _sent_to() == ["filer@example.cn", "third@example.cn"]  # never filer2 (submitted)
    assert "请于2024年4月30日前提交" in mail.outbox[0].subject
    rows = Reminder.objects.order_by("evaluation__department__code")
    assert [(r.kind, r.sent_on, r.overdue, r.sent_by) for r in rows] == [
        ("auto", DEADLINE - 7 * DAY, False, None)
    ] * 2
    assert [r.recipients for r in rows] == ["filer@example.cn", "third@example.cn"]


def test_never_twice_the_same_day_nor_twice_in_the_window(round_2023):
    reminders_send_due(DEADLINE - 7 * DAY)
    mail.outbox.clear()
    assert not reminders_send_due(DEADLINE - 7 * DAY).sent  # the same day again
    assert not reminders_send_due(DEADLINE - 3 * DAY).sent  # already reminded in the window
    assert mail.outbox == [] and Reminder.objects.count() == 2


def test_a_missed_run_catches_up_in_the_window(round_2023):
    assert len(reminders_send_due(DEADLINE - 2 * DAY).sent) == 2


def test_overdue_the_next_day_then_weekly(round_2023):
    _fy, evaluations = round_2023
    reminders_send_due(DEADLINE - 7 * DAY)
    assert not reminders_send_due(DEADLINE).sent  # the deadline day itself: still in time
    mail.outbox.clear()
    overdue = reminders_send_due(DEADLINE + DAY)
    assert len(overdue.sent) == 2 and all("【已逾期】" in m.subject for m in mail.outbox)
    assert not reminders_send_due(DEADLINE + 2 * DAY).sent
    assert not reminders_send_due(DEADLINE + 7 * DAY).sent
    assert len(reminders_send_due(DEADLINE + 8 * DAY).sent) == 2
    # submitted meanwhile: no more reminders
    Evaluation.objects.filter(pk=evaluations[SEED_DEPARTMENT].pk).update(status="submitted")
    assert [e.department.code for e in reminders_send_due(DEADLINE + 15 * DAY).sent] == [
        "nansha-third"
    ]
    assert not Reminder.objects.filter(evaluation=evaluations[BLANK_DEPARTMENT]).exists()


def test_rounds_not_closed_and_zero_days(round_2023):
    fy, _ = round_2023
    fy.remind_days_before = 0
    fy.save()
    assert not reminders_send_due(DEADLINE - DAY).sent  # 0: only when overdue
    FiscalYear.objects.filter(pk=fy.pk).update(closes_at_deadline=False)
    assert not reminders_send_due(DEADLINE + DAY).sent  # a year not opened as a round


def test_manual_reminder_of_selected_departments(round_2023, users):
    fy, evaluations = round_2023
    ids = [evaluations[SEED_DEPARTMENT].pk, evaluations[BLANK_DEPARTMENT].pk]
    outcome = reminders_send_manual(actor=users["reviewer"], fiscal_year=fy, evaluation_ids=ids)
    assert [e.department.code for e in outcome.sent] == [SEED_DEPARTMENT]
    assert [(e.department.code, why) for e, why in outcome.skipped] == [
        (BLANK_DEPARTMENT, "已提交，无需催办")
    ]
    assert _sent_to() == ["filer@example.cn"] and "催办" in mail.outbox[0].body
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.sent_by) == ("manual", users["reviewer"])
    # again the same day: skipped, and the automatic run skips it too
    again = reminders_send_manual(actor=users["reviewer"], fiscal_year=fy, evaluation_ids=ids[:1])
    assert not again.sent and again.skipped[0][1] == "今天已催办过"
    assert Reminder.objects.count() == 1


def test_manual_reminder_refusals(round_2023, users, other_region):
    fy, evaluations = round_2023
    for actor in (users["filer"], other_region.reviewer):
        with pytest.raises(NotFound):
            reminders_send_manual(
                actor=actor, fiscal_year=fy, evaluation_ids=[evaluations[SEED_DEPARTMENT].pk]
            )
    # another year's or region's evaluation ids are ignored
    outcome = reminders_send_manual(
        actor=users["reviewer"], fiscal_year=fy, evaluation_ids=[other_region.evaluation.pk]
    )
    assert not outcome.sent and not outcome.skipped and mail.outbox == []


def test_no_email_no_reminder_recorded(round_2023, users):
    fy, evaluations = round_2023
    users["filer"].email = ""
    users["filer"].save()
    outcome = reminders_send_manual(
        actor=users["reviewer"], fiscal_year=fy, evaluation_ids=[evaluations[SEED_DEPARTMENT].pk]
    )
    assert outcome.skipped[0][1] == "该部门的填报人没有登记邮箱"
    assert not Reminder.objects.exists()


def test_send_reminders_command(round_2023):
    out = StringIO()
    call_command("send_reminders", "--date", (DEADLINE - 7 * DAY).isoformat(), stdout=out)
    assert "已催办 2 个部门" in out.getvalue()
    out = StringIO()
    call_command("send_reminders", "--date", (DEADLINE - 7 * DAY).isoformat(), stdout=out)
    assert "已催办 0 个部门" in out.getvalue() and len(mail.outbox) == 2


def test_dashboard_remind_action_and_last_reminder_column(round_2023, reviewer_client):
    _fy, evaluations = round_2023
    dashboard = reverse("review:dashboard", args=["nansha", 2023])
    html = reviewer_client.get(dashboard).content.decode()
    assert 'data-testid="remind"' in html and "最近催办" in html
    assert f'name="ids" value="{evaluations[SEED_DEPARTMENT].pk}"' in html
    response = reviewer_client.post(
        reverse("review:remind", args=["nansha", 2023]),
        {
            "ids": [evaluations[SEED_DEPARTMENT].pk, evaluations[BLANK_DEPARTMENT].pk],
            "next": dashboard,
        },
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == dashboard
    assert "已催办 1 个部门" in html and "已提交，无需催办" in html
    reminder = Reminder.objects.get()
    from django.utils import timezone

    assert timezone.localtime(reminder.sent_at).strftime("%Y-%m-%d %H:%M") in html
    nothing = reviewer_client.post(reverse("review:remind", args=["nansha", 2023]), follow=True)
    assert "请先勾选要催办的部门。" in nothing.content.decode()


def test_remind_all_matching_the_dashboard_filter(round_2023, reviewer_client):
    """「选择全部符合当前筛选条件」 with 催办: every evaluation the filter shows, none ticked."""
    _fy, evaluations = round_2023
    response = reviewer_client.post(
        reverse("review:remind", args=["nansha", 2023]),
        {"scope": "filter", "status": "draft", "q": "", "sort": "department"},
        follow=True,
    )
    assert "已催办 2 个部门" in response.content.decode()
    drafts = {evaluations[SEED_DEPARTMENT].pk, evaluations["nansha-third"].pk}  # blank: submitted
    assert {r.evaluation_id for r in Reminder.objects.all()} == drafts


def test_remind_action_refused_to_filers(round_2023, filer_client):
    response = filer_client.post(reverse("review:remind", args=["nansha", 2023]), {"ids": ["1"]})
    assert response.status_code == 404
    assert not Reminder.objects.exists()


def test_send_reminders_enqueued_for_the_worker(round_2023):
    """--enqueue hands the run to the tasks backend (immediate in tests: it runs at once)."""
    out = StringIO()
    call_command(
        "send_reminders", "--enqueue", "--date", (DEADLINE - 7 * DAY).isoformat(), stdout=out
    )
    assert "已交给后台任务" in out.getvalue()
    assert Reminder.objects.filter(kind="auto").count() == 2 and len(mail.outbox) == 2


def test_one_reminder_a_day_per_department_whatever_its_filings(round_2023, users):
    """A department with a 项目支出 filing besides its 部门整体 one, both not submitted: one
    e-mail a day, not two."""
    fy, evaluations = round_2023
    seed = evaluations[SEED_DEPARTMENT]
    project = Evaluation.objects.create(
        department=seed.department, fiscal_year=fy, rubric=seed.rubric, project="委员履职培训"
    )
    outcome = reminders_send_due(DEADLINE - 7 * DAY)
    assert sorted(e.department.code for e in outcome.sent) == [SEED_DEPARTMENT, "nansha-third"]
    assert [(e.pk, why) for e, why in outcome.skipped] == [(project.pk, "今天已催办过")]
    assert _sent_to().count("filer@example.cn") == 1
    # the dashboard's 催办 (today): the 部门整体 one, then the project the same day
    ids = [seed.pk, project.pk]
    manual = reminders_send_manual(actor=users["reviewer"], fiscal_year=fy, evaluation_ids=ids)
    assert [e.pk for e in manual.sent] == [seed.pk]
    assert [(e.pk, why) for e, why in manual.skipped] == [(project.pk, "今天已催办过")]
