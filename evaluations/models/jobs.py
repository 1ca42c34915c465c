"""Bulk jobs of the finance bureau, run in the background with their progress recorded."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .org import FiscalYear


class BulkJob(models.Model):
    class Kind(models.TextChoices):
        PUBLISH_APPROVED = "publish_approved", "公开本年度全部已审核通过的自评"
        RENDER_DRAFTS = "render_drafts", "生成全部部门的草稿 PDF"
        EXPORT_SCORES = "export_scores", "导出本年度全部自评表（Excel）"

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    ACTIVE = (State.QUEUED, State.RUNNING)

    kind = models.CharField("任务", max_length=30, choices=Kind.choices)
    # Changed by the database on every write to this row (evaluations.stamps): the
    # page cache's key. Never written by the code.
    page_stamp = models.BigIntegerField("页面版本", default=0, editable=False)
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.CASCADE, related_name="jobs"
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField("总数", default=0)
    done = models.PositiveIntegerField("已完成", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)
    result = models.FileField("结果文件", upload_to="jobs/%Y/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    # Written by the worker at the start and after every department (and by a side thread
    # during a long single step): a running job whose heartbeat is older than
    # JOB_HEARTBEAT_TIMEOUT_SECONDS is taken for dead (services.jobs.bulk_jobs_expire).
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    restarted_from = models.ForeignKey(
        "self",
        verbose_name="重新发起自",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "批量任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One running job per kind and year, whatever the database's locking (SQLite has
            # no select_for_update): services.bulk_job_start turns a violation into a message.
            models.UniqueConstraint(
                fields=["fiscal_year", "kind"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_running_job_per_kind_and_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.get_state_display()}）"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
