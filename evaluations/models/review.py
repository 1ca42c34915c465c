"""The review side: workflow events, 复核分, annotations, field history, submission snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ..workflow import Status
from .evaluation import SCORE, Evaluation


class EvaluationEvent(models.Model):
    """One workflow transition: who, when, from, to, comment."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="events", verbose_name="绩效自评"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=20, choices=Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=Status.choices)
    comment = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    @property
    def action_label(self) -> str:
        from ..workflow import TRANSITIONS

        t = TRANSITIONS.get(self.action)
        return t.label if t else self.action


class ReviewedScore(models.Model):
    """复核分: the finance bureau's score for one line of the score table, with its reason."""

    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.CASCADE,
        related_name="reviewed_scores",
        verbose_name="绩效自评",
    )
    code = models.CharField(
        "指标", max_length=30, help_text="末级指标编码（如 1.1.1），或履职效能指标行 row:ID"
    )
    score = models.DecimalField("复核分", **SCORE)
    reason = models.TextField("复核理由")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "复核分"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="unique_reviewed_score")
        ]

    def __str__(self) -> str:
        return f"{self.code}：{self.score}"


class Annotation(models.Model):
    """批注: a reviewer's remark on an indicator, a figure, a 履职效能 row or a report section,
    with the filer's replies (children) and its resolution."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="annotations", verbose_name="绩效自评"
    )
    target = models.CharField(
        "对象",
        max_length=80,
        help_text="ind:1.1.1（指标）、row:指标行ID、task:任务ID（履职效能）、fig:键名、sec:章节、goal 或 general",
    )
    target_label = models.CharField("对象名称", max_length=300, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="回复对象",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField("内容")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="标记解决人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "批注"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def is_open(self) -> bool:
        return self.parent_id is None and self.resolved_at is None


class FieldChange(models.Model):
    """One field's change by one save: who, when, old → new."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="field_changes", verbose_name="绩效自评"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    key = models.CharField("字段", max_length=120)
    label = models.CharField("名称", max_length=300)
    old = models.TextField("原值", blank=True)
    new = models.TextField("新值", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "修改记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.label}：{self.old} → {self.new}"


class SubmissionSnapshot(models.Model):
    """The evaluation's fields as submitted, so a resubmission can be compared field by field."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="snapshots", verbose_name="绩效自评"
    )
    at = models.DateTimeField("提交时间", auto_now_add=True)
    data = models.JSONField("内容")

    class Meta:
        verbose_name = verbose_name_plural = "提交快照"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.evaluation} @ {self.at:%Y-%m-%d %H:%M}"


class PublishedReport(models.Model):
    """The PDF as published: rendered once at publication, stored with its SHA-256, served as
    stored and never rendered again. A reopened evaluation keeps it, marked superseded."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="publications", verbose_name="绩效自评"
    )
    file = models.FileField("文件", upload_to="published/%Y/")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    published_at = models.DateTimeField("公开时间", auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="公开人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    superseded_at = models.DateTimeField("被取代时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "已公开报告"
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.evaluation}（{self.published_at:%Y-%m-%d}）"

    @property
    def download_name(self) -> str:
        return f"{report_file_stem(self.evaluation)}.pdf"


def report_file_stem(e: Evaluation) -> str:
    """The PDF's file name without extension, e.g. 2023年度项目支出绩效自评报告-示范县农业农村局-
    高标准农田建设项目 (the project named for a 项目支出 evaluation)."""
    stem = f"{e.fiscal_year.year}年度{e.rubric.spec.evaluation_name}报告-{e.department.name}"
    return f"{stem}-{e.project}" if e.project else stem


class AuditLog(models.Model):
    """Security-relevant events: logins, failed logins, permission denied, evidence uploads,
    downloads and deletions. Also written to the `audit` logger."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    event = models.CharField("事件", max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    path = models.CharField("路径", max_length=300, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "安全审计日志"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.username}"
