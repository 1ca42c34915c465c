"""PDFs rendered in the background (evaluations/services/renders.py, run by the worker).

A PDF depends only on the evaluation's content (its `revision`, bumped by every write that can
change what the PDF says), the rubric version and the template version (a digest of the report
templates and stylesheet): one row per such key and kind, its file stored once and served
from storage. A final render requested by 公开 publishes the evaluation when it is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .evaluation import Evaluation
from .org import RubricVersion


class PdfRender(models.Model):
    class Kind(models.TextChoices):
        DRAFT = "draft", "草稿"
        FINAL = "final", "正式（公开）"

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "正在生成"
        READY = "ready", "已生成"
        FAILED = "failed", "生成失败"

    ACTIVE = (State.QUEUED, State.RUNNING)

    evaluation = models.ForeignKey(
        Evaluation, verbose_name="绩效自评", on_delete=models.CASCADE, related_name="renders"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    revision = models.PositiveIntegerField("内容修订号")
    version = models.PositiveIntegerField("版本号")
    rubric = models.ForeignKey(
        RubricVersion, verbose_name="评分体系", on_delete=models.PROTECT, related_name="+"
    )
    template_version = models.CharField("模板版本", max_length=64)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    file = models.FileField("文件", upload_to="renders/", max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField("大小（字节）", null=True, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)
    # The reviewer whose 公开 asked for this final render: it publishes when stored.
    publish_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请公开人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "PDF 生成记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "kind", "revision", "rubric", "template_version"],
                name="one_render_per_content_rubric_and_template",
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation}·{self.get_kind_display()}（{self.get_state_display()}）"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE
