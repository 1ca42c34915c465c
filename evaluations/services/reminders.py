"""Reminders (催办) to departments that have not submitted: automatic ones from the daily
`send_reminders` run (N days before the deadline, N per round, and when overdue), and the
reviewers' 催办 from the dashboard. Never to a department that has submitted, never twice the
same day for the same department (whatever the kind, whichever of its filings); every reminder
sent is a Reminder row."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import access, audit, notify
from ..models import Department, Evaluation, FiscalYear, Reminder
from ..workflow import EDITABLE

OVERDUE_EVERY_DAYS = 7  # after the deadline: a reminder on the next day, then once a week


@dataclass
class ReminderOutcome:
    sent: list[Evaluation] = field(default_factory=list)
    skipped: list[tuple[Evaluation, str]] = field(default_factory=list)  # and why

    @property
    def summary(self) -> str:
        text = f"已催办 {len(self.sent)} 个部门"
        if self.skipped:
            reasons = "；".join(f"{e.department.name}：{why}" for e, why in self.skipped)
            text += f"，{len(self.skipped)} 个未催办（{reasons}）"
        return text + "。"


def _emails(evaluation: Evaluation) -> list[str]:
    users = get_user_model().objects.filter(departments=evaluation.department_id, is_active=True)
    return sorted({u.email for u in users if u.email})


def reminder_send(
    evaluation: Evaluation, *, kind: str, actor=None, today: datetime.date | None = None
) -> str | None:
    """Send one reminder about `evaluation` and record it. None when sent, else why not."""
    today = today or timezone.localdate()
    if evaluation.status not in EDITABLE:
        return "已提交，无需催办"
    emails = _emails(evaluation)
    if not emails:
        return "该部门的填报人没有登记邮箱"
    deadline = evaluation.fiscal_year.deadline
    overdue = bool(deadline and today > deadline)
    try:
        with transaction.atomic():
            # one reminder a day per department (its 部门整体 and 项目支出 filings together):
            # the department's row is the lock concurrent runs queue on
            Department.objects.select_for_update().get(pk=evaluation.department_id)
            if Reminder.objects.filter(
                evaluation__department_id=evaluation.department_id,
                evaluation__fiscal_year_id=evaluation.fiscal_year_id,
                sent_on=today,
            ).exists():
                return "今天已催办过"
            reminder = Reminder.objects.create(
                evaluation=evaluation,
                kind=kind,
                sent_on=today,
                sent_by=actor,
                recipients="\n".join(emails),
                overdue=overdue,
            )
    except IntegrityError:
        return "今天已催办过"
    if not notify.reminder(
        evaluation.pk, overdue=overdue, manual=kind == Reminder.Kind.MANUAL, emails=emails
    ):
        reminder.delete()  # not sent: may be tried again today
        return "邮件发送失败，请稍后再试"
    return None


def _auto_due(fy: FiscalYear, evaluation_last: Reminder | None, today: datetime.date) -> bool:
    """Is an automatic reminder due today for an evaluation of `fy` whose last reminder is
    `evaluation_last`? Before the deadline: once within the last N days (N = the round's
    remind_days_before; a missed daily run still catches up). After it: the next day, then
    every OVERDUE_EVERY_DAYS days."""
    deadline = fy.deadline
    last_day = evaluation_last.sent_on if evaluation_last else None
    if today <= deadline:
        window_start = deadline - datetime.timedelta(days=fy.remind_days_before)
        if fy.remind_days_before == 0 or today < window_start:
            return False
        return last_day is None or last_day < window_start
    if last_day is None or last_day <= deadline:
        return True
    return (today - last_day).days >= OVERDUE_EVERY_DAYS


def reminders_send_due(today: datetime.date | None = None) -> ReminderOutcome:
    """The daily run: every evaluation not submitted of every round with a deadline that is
    due a reminder today (see _auto_due)."""
    today = today or timezone.localdate()
    outcome = ReminderOutcome()
    years = FiscalYear.objects.filter(closes_at_deadline=True, deadline__isnull=False)
    for fy in years.select_related("region"):
        evaluations = (
            Evaluation.objects.filter(fiscal_year=fy, status__in=EDITABLE)
            .select_related("department", "fiscal_year__region", "rubric")
            .order_by("department__code", "project")
        )
        for evaluation in evaluations:
            last = evaluation.reminders.order_by("-sent_on").first()
            if not _auto_due(fy, last, today):
                continue
            why = reminder_send(evaluation, kind=Reminder.Kind.AUTO, today=today)
            if why is None:
                outcome.sent.append(evaluation)
            else:
                outcome.skipped.append((evaluation, why))
    audit.record("reminders_sent", sent=[e.pk for e in outcome.sent])
    return outcome


def reminders_send_manual(
    *, actor, fiscal_year: FiscalYear, evaluation_ids: Iterable[int]
) -> ReminderOutcome:
    """催办 from the dashboard: the selected evaluations of `fiscal_year` (others ignored)."""
    access.require_round(actor, fiscal_year.region)
    ids = {int(i) for i in evaluation_ids}
    outcome = ReminderOutcome()
    evaluations = (
        Evaluation.objects.filter(fiscal_year=fiscal_year, pk__in=ids)
        .select_related("department", "fiscal_year__region", "rubric")
        .order_by("department__code", "project")
    )
    for evaluation in evaluations:
        why = reminder_send(evaluation, kind=Reminder.Kind.MANUAL, actor=actor)
        if why is None:
            outcome.sent.append(evaluation)
        else:
            outcome.skipped.append((evaluation, why))
    audit.record("reminders_sent", user=actor, manual=True, sent=[e.pk for e in outcome.sent])
    return outcome
