"""The yearly round's records: deadline extensions granted to a department, and reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .evaluation import Evaluation
from .org import Department, FiscalYear


class DeadlineExtension(models.Model):
    """延期: a reviewer lets one department keep editing its filings of a closed round until
    a later date. Every grant is a row (who, when, until, why); the latest one counts."""

    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.CASCADE, related_name="extensions"
    )
    department = models.ForeignKey(
        Department, verbose_name="部门", on_delete=models.CASCADE, related_name="extensions"
    )
    until = models.DateField("延期至")
    reason = models.CharField("延期理由", max_length=500)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="批准人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "填报延期"
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.department} 延期至 {self.until:%Y-%m-%d}"


class Reminder(models.Model):
    """催办: one reminder e-mail about one evaluation, automatic or sent by a reviewer. At most
    one per department and day, whatever the kind (services.reminders; the constraint below
    holds it per evaluation even against a race)."""

    class Kind(models.TextChoices):
        AUTO = "auto", "自动提醒"
        MANUAL = "manual", "人工催办"

    evaluation = models.ForeignKey(
        Evaluation, verbose_name="绩效自评", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField("发送时间", auto_now_add=True)
    sent_on = models.DateField("发送日期")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="催办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipients = models.TextField("收件人", blank=True, help_text="收件邮箱，每行一个。")
    overdue = models.BooleanField("逾期提醒", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "催办记录"
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "sent_on"], name="one_reminder_per_evaluation_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} {self.get_kind_display()} {self.sent_on:%Y-%m-%d}"
