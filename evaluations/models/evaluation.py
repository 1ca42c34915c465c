"""A department's yearly self-evaluation and everything the filer enters in it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from ..workflow import Status
from .org import Department, FiscalYear, RubricVersion, Staffing

AMOUNT = {"max_digits": 14, "decimal_places": 2}
SCORE = {"max_digits": 6, "decimal_places": 2}


class Evaluation(Staffing):
    """One department's 部门整体支出绩效自评 for one year (`project` blank), or one of its
    项目支出绩效自评 for that year (`project` names the project; several per year)."""

    department = models.ForeignKey(
        Department, verbose_name="部门", on_delete=models.PROTECT, related_name="evaluations"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="evaluations"
    )
    rubric = models.ForeignKey(
        RubricVersion,
        verbose_name="评分体系",
        on_delete=models.PROTECT,
        help_text="本自评所依据的评分体系版本（创建时取年度的版本）。",
    )
    project = models.CharField(
        "项目名称",
        max_length=200,
        blank=True,
        default="",
        help_text="项目支出绩效自评的项目名称；部门整体支出绩效自评留空。",
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(
        "版本号", default=1, help_text="每次保存加一，用于防止覆盖他人的修改。"
    )
    overall_goal = models.TextField("年度整体绩效目标", blank=True)
    goal_completion = models.TextField("整体绩效目标完成情况", blank=True)
    goal_shortfall_reason = models.TextField("未能完成原因", blank=True)
    report_date = models.DateField("报告日期", null=True, blank=True)
    # Bumped with the stored totals after every write that can change what the PDF says (the
    # filer's saves bump `version` too; the finance bureau's 复核分 and figures only this):
    # the PDF cache's key (models.PdfRender).
    revision = models.PositiveIntegerField("内容修订号", default=0)
    # Changed by the database on every write to this row or to a row that belongs to it
    # (evaluations.stamps): the page cache's key. Never written by the code.
    page_stamp = models.BigIntegerField("页面版本", default=0, editable=False)
    signed_unit = models.CharField(
        "署名单位",
        max_length=200,
        blank=True,
        default="",
        help_text="报告落款的单位名称；留空则取部门名称。",
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True, default="")
    contact_phone = models.CharField("联系电话", max_length=40, blank=True, default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    review_started_at = models.DateTimeField(
        "审核开始时间",
        null=True,
        blank=True,
        help_text="审核人首次批注或复核的时间；此后填报人不能撤回提交。",
    )
    # The score table's totals as of the last save (services refresh them after every write),
    # so the reviewers' dashboard can filter, sort and page thousands of departments in SQL.
    computed_total = models.DecimalField("计算总分", null=True, blank=True, **SCORE)
    claimed_total = models.DecimalField("自评总分", null=True, blank=True, **SCORE)
    reviewed_total = models.DecimalField("复核总分", null=True, blank=True, **SCORE)
    final_total = models.DecimalField("最终得分", null=True, blank=True, **SCORE)
    warning_count = models.PositiveIntegerField("提示数", default=0)
    blocking_count = models.PositiveIntegerField("待处理问题数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "绩效自评"
        ordering = ["-fiscal_year__year", "department__code", "project"]
        constraints = [
            # one 部门整体 evaluation per department and year, and one per project name
            models.UniqueConstraint(
                fields=["department", "fiscal_year", "project"],
                name="unique_evaluation_per_department_year_project",
            )
        ]

    def __str__(self) -> str:
        text = f"{self.department.name} {self.fiscal_year.year}年度"
        return f"{text} {self.project}" if self.project else text

    @property
    def is_project(self) -> bool:
        return bool(self.project)

    @property
    def signature_unit(self) -> str:
        """The unit's name as signed under the report: 署名单位, else the department's."""
        return self.signed_unit or self.department.short_name or self.department.name

    @property
    def year(self) -> int:
        return self.fiscal_year.year

    def save(self, *args, **kwargs) -> None:
        # A new evaluation starts from its department's current staffing numbers.
        if self._state.adding and not any(self.staffing().values()):
            for name, value in self.department.staffing().items():
                setattr(self, name, value)
        super().save(*args, **kwargs)


class FigureValue(models.Model):
    """One budget figure of an evaluation (万元, or percent for a rate), keyed by the input
    catalogue in rubric/inputs.py. A note keeps where a figure came from or what disagreed."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="figures", verbose_name="绩效自评"
    )
    key = models.CharField("项目", max_length=60)
    value = models.DecimalField("数值", null=True, blank=True, **AMOUNT)
    # a text, date (YYYY-MM-DD) or yes/no input, as the rubric declares the key
    text = models.CharField("文字值", max_length=500, blank=True, default="")
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "收支数据"
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "key"], name="unique_figure_per_evaluation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}：{self.value}"


class LiveManager(models.Manager):
    """The default manager of the 履职效能 tasks and rows: the ones not marked deleted. So
    `evaluation.tasks.all()` and `task.rows.all()` are the live ones everywhere; `all_objects`
    includes the deleted (their judgements stay, shown as 所属指标已删除)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllManager(models.Manager):
    """`all_objects`: the 履职效能 tasks and rows including the ones marked deleted."""


class DutyTask(models.Model):
    """履职效能 task (二级指标), e.g. 任务1-通过强化理论武装，进一步加强思想政治引领。

    A task keeps its id across saves (updated in place); a removed task is marked deleted,
    never reused, so that 复核分, 批注 and history attached to it (key `task:<id>`) stay on it.
    """

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="tasks", verbose_name="绩效自评"
    )
    section = models.CharField("所属指标", max_length=30, blank=True, default="")
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("任务", max_length=300)
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)

    objects = LiveManager()
    all_objects = AllManager()

    class Meta:
        verbose_name = verbose_name_plural = "履职效能任务"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The stable identity judgements attach to."""
        return f"task:{self.pk}"


class DutyIndicator(models.Model):
    """履职效能 indicator row (三级指标): 年度指标值 against 实际完成值. Like its task, it is
    updated in place and marked deleted, never reused."""

    class Operator(models.TextChoices):
        GE = ">=", "≥（不少于）"
        LE = "<=", "≤（不超过）"
        EQ = "=", "＝（等于）"
        GT = ">", "＞（大于）"
        LT = "<", "＜（小于）"
        BETWEEN = "between", "介于（区间）"
        DATE = "date", "日期（不晚于）"
        TEXT = "text", "定性"

    task = models.ForeignKey(
        DutyTask, on_delete=models.CASCADE, related_name="rows", verbose_name="任务"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("指标", max_length=300)
    target_text = models.CharField("年度指标值", max_length=500, blank=True)
    operator = models.CharField(
        "比较", max_length=10, choices=Operator.choices, default=Operator.GE
    )
    target_value = models.DecimalField("指标值（数值）", null=True, blank=True, **AMOUNT)
    target_max = models.DecimalField("指标值上限（区间）", null=True, blank=True, **AMOUNT)
    target_date = models.DateField("目标日期", null=True, blank=True)
    actual_date = models.DateField("实际完成日期", null=True, blank=True)
    initial_target_text = models.CharField("年初指标值", max_length=500, blank=True, default="")
    core = models.BooleanField("核心指标", default=False)
    grade = models.CharField("完成等级", max_length=30, blank=True, default="")
    unit = models.CharField("计量单位", max_length=20, blank=True)
    actual_text = models.CharField("实际完成指标值", max_length=500, blank=True)
    actual_value = models.DecimalField("实际完成值（数值）", null=True, blank=True, **AMOUNT)
    achieved = models.BooleanField("已完成", null=True, blank=True)
    points = models.DecimalField("分值", validators=[MinValueValidator(Decimal(0))], **SCORE)
    claimed = models.DecimalField("自评分", null=True, blank=True, **SCORE)
    claimed_reason = models.TextField("自评分说明", blank=True)
    note = models.TextField("备注", blank=True)
    # The target and points as approved in the 绩效目标申报 (None: the row was not declared).
    # A row whose target or points differ from them needs target_change_reason.
    approved_target = models.JSONField("批复的指标值与分值", null=True, blank=True)
    target_change_reason = models.TextField("调整批复指标的理由", blank=True, default="")

    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)

    objects = LiveManager()
    all_objects = AllManager()

    class Meta:
        verbose_name = verbose_name_plural = "履职效能指标"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The stable identity judgements attach to (复核分, 批注, history): `row:<id>`."""
        return f"row:{self.pk}"


class IndicatorAnswer(models.Model):
    """A department's answer to one rubric leaf: checklist choices, 自评分 and its reason."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="answers", verbose_name="绩效自评"
    )
    code = models.CharField("指标编码", max_length=30)
    choices = models.JSONField("评分标准选择", default=dict, blank=True)
    claimed = models.DecimalField("自评分", null=True, blank=True, **SCORE)
    claimed_reason = models.TextField(
        "自评分说明", blank=True, help_text="自评分与计算得分不一致或人工评分时必填。"
    )
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "指标自评"
        ordering = ["evaluation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "code"], name="unique_answer_per_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}：{self.claimed}"


class BonusEvent(models.Model):
    """加减分 event: a commendation or a criticism, recorded by the finance bureau."""

    class Kind(models.TextChoices):
        BONUS = "bonus", "受表彰（加分）"
        PENALTY = "penalty", "受批评（减分）"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="bonus_events", verbose_name="绩效自评"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    description = models.CharField("事项", max_length=500)
    occurred_on = models.DateField("日期", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "加减分事项"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.description}"


class ReportSection(models.Model):
    """One narrative section of the 自评报告 (catalogue: evaluations/sections.py)."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="sections", verbose_name="绩效自评"
    )
    key = models.CharField("章节", max_length=60)
    text = models.TextField("正文", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "报告正文"
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "key"], name="unique_section_per_evaluation"
            )
        ]

    def __str__(self) -> str:
        return self.key


def _evidence_path(instance: Evidence, filename: str) -> str:
    """A random name outside the web root: nothing of the user's file name reaches the disk."""
    import uuid

    return f"evidence/{instance.evaluation_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """佐证材料: one uploaded file in the evaluation's library (材料库), once per content
    (SHA-256); attached to any number of indicators through EvidenceLink. A file attached to
    none is evidence for the evaluation as a whole."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="evidence", verbose_name="绩效自评"
    )
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    file = models.FileField("文件", upload_to=_evidence_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "sha256"], name="unique_evidence_content")
        ]

    def __str__(self) -> str:
        return self.original_name


class EvidenceLink(models.Model):
    """A file of the library attached to an indicator (by its code in the rubric). Detaching
    deletes the link, never the file."""

    evidence = models.ForeignKey(
        Evidence, on_delete=models.CASCADE, related_name="links", verbose_name="佐证材料"
    )
    indicator_code = models.CharField("指标编码", max_length=30)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="关联人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField("关联时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料关联"
        ordering = ["indicator_code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "indicator_code"], name="unique_evidence_link"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code}：{self.evidence_id}"


class TargetDeclaration(models.Model):
    """绩效目标申报: at the start of the year the department declares its 年度整体绩效目标 and
    its tasks with indicator rows (target, operator, unit, points); the reviewer approves or
    returns it (workflow.TRANSITIONS, subject "declaration"), and the approved targets become
    the evaluation's 履职效能 rows (services.declaration).

    `tasks` is a list of {"name", "section", "rows": [{"name", "target_text", "operator",
    "target_value", "target_max", "target_date", "unit", "points", "core"}]}, numbers and dates
    as strings (services.declaration.TARGET_FIELDS)."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.CASCADE, related_name="declaration", verbose_name="绩效自评"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField("版本号", default=1)
    overall_goal = models.TextField("年度整体绩效目标", blank=True)
    tasks = models.JSONField("任务与指标", default=list, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("批复时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "绩效目标申报"

    def __str__(self) -> str:
        return f"{self.evaluation} 绩效目标申报"

    @property
    def status_label(self) -> str:
        from ..workflow import DECLARATION_LABELS

        return DECLARATION_LABELS.get(self.status, self.get_status_display())

    @property
    def shown_tasks(self) -> list[dict]:
        """The tasks for display: each row with its numeric target as one text (≥20次)."""
        from rubric.methods import OPERATORS

        out = []
        for task in self.tasks:
            rows = []
            for r in task.get("rows", []):
                if r.get("operator") == "date":
                    target = f"{r.get('target_date') or ''}前" if r.get("target_date") else ""
                elif r.get("target_value") is None:
                    target = ""
                elif r.get("operator") == "between" and r.get("target_max") is not None:
                    target = f"{r['target_value']}～{r['target_max']}{r.get('unit') or ''}"
                else:
                    sign = OPERATORS.get(r.get("operator"), "")
                    target = f"{sign}{r['target_value']}{r.get('unit') or ''}"
                rows.append({**r, "target": target})
            out.append({"name": task["name"], "rows": rows})
        return out
