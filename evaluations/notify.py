"""E-mail notifications of workflow transitions (Django's e-mail framework; the console
backend in development). Enqueued after the transaction commits and sent by the worker
(tasks.send_transition_notification): a slow or failing mail server never holds up or breaks
a request. A failure of any kind is logged and never undoes the transition."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from .models import EvaluationEvent

log = logging.getLogger(__name__)


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def enqueue(event_id: int) -> None:
    """Hand the notification of event `event_id` to the worker (called on commit)."""
    from .tasks import send_transition_notification

    try:
        send_transition_notification.enqueue(event_id)
    except Exception:
        log.exception("通知任务入队失败：event %s", event_id)


def transition_done(event_id: int) -> None:
    """The worker's task body: never raises (the task would only be marked failed)."""
    try:
        _send(event_id)
    except Exception:
        log.exception("通知邮件发送失败：event %s", event_id)


def _send(event_id: int) -> None:
    event = EvaluationEvent.objects.select_related(
        "evaluation__department__region", "evaluation__fiscal_year", "actor"
    ).get(pk=event_id)
    evaluation = event.evaluation
    title = (
        f"{evaluation.department.name}{evaluation.fiscal_year.year}年度"
        f"{evaluation.rubric.spec.evaluation_name}"
        + (f"（{evaluation.project}）" if evaluation.project else "")
    )
    User = get_user_model()
    if event.action == "submit":
        recipients = User.objects.filter(review_regions=evaluation.department.region_id)
        subject = f"【待审核】{title}已提交"
        body = f"{title}已由{_name(event.actor)}提交，请审核。\n\n审核链接：{_link(reverse('review:evaluation', args=[evaluation.pk]))}\n"
    elif event.action in ("return", "approve"):
        recipients = User.objects.filter(departments=evaluation.department_id)
        verb = "已退回" if event.action == "return" else "已审核通过"
        subject = f"【{verb}】{title}"
        body = f"{title}{verb}。\n"
        if event.comment:
            body += f"\n审核意见：{event.comment}\n"
        body += f"\n查看链接：{_link(reverse('filing:step', args=[evaluation.pk, 'review']))}\n"
    else:
        return
    emails = [u.email for u in recipients if u.email]
    if not emails:
        return
    send_mail(subject, body + "\n（本邮件由绩效自评系统自动发送，请勿直接回复。）", None, emails)


def _name(user) -> str:
    if user is None:
        return "（已删除用户）"
    return user.get_full_name() or user.username


def reminder(evaluation_id: int, *, overdue: bool, manual: bool, emails: list[str]) -> bool:
    """催办: remind a department's filers that its evaluation is not submitted yet. True if
    the mail went out (a failure to send is logged)."""
    from .models import Evaluation

    evaluation = Evaluation.objects.select_related("department", "fiscal_year").get(
        pk=evaluation_id
    )
    fy = evaluation.fiscal_year
    title = f"{evaluation.department.name}{fy.year}年度{evaluation.rubric.spec.evaluation_name}" + (
        f"（{evaluation.project}）" if evaluation.project else ""
    )
    deadline = (
        f"{fy.deadline.year}年{fy.deadline.month}月{fy.deadline.day}日" if fy.deadline else ""
    )
    if overdue:
        subject = f"【已逾期】{title}尚未提交"
        body = f"{title}的填报截止日期{deadline}已过，至今尚未提交，请尽快完成填报并提交。\n"
    else:
        subject = f"【填报提醒】{title}请于{deadline}前提交" if deadline else f"【填报提醒】{title}"
        body = (
            f"{title}尚未提交"
            + (f"，填报截止日期为{deadline}" if deadline else "")
            + "，请按时完成填报并提交。\n"
        )
    if manual:
        body = f"{fy.region.finance_bureau}催办：" + body
    body += f"\n填报链接：{_link(reverse('filing:start', args=[evaluation.pk]))}\n"
    try:
        send_mail(
            subject, body + "\n（本邮件由绩效自评系统自动发送，请勿直接回复。）", None, emails
        )
    except OSError:
        log.exception("催办邮件发送失败：%s", subject)
        return False
    return True
