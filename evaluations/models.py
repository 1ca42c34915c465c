"""Departments, fiscal years, rubric versions, and a department's yearly self-evaluation."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from rubric import inputs, loader
from rubric.spec import Rubric

from . import sections
from .workflow import Status

AMOUNT = {"max_digits": 14, "decimal_places": 2}
SCORE = {"max_digits": 6, "decimal_places": 2}


class Region(models.Model):
    """A jurisdiction whose finance bureau (财政局) reviews its departments' filings."""

    code = models.SlugField("编码", max_length=50, unique=True)
    name = models.CharField("区域名称", max_length=100)
    finance_bureau = models.CharField("财政部门", max_length=100)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="审核人", related_name="review_regions", blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "区域"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    class UnitType(models.TextChoices):
        ADMINISTRATIVE = "administrative", "行政单位"
        PUBLIC_INSTITUTION = "public_institution", "事业单位"
        OTHER = "other", "其他"

    code = models.SlugField("单位编码", max_length=50, unique=True)
    name = models.CharField("单位名称", max_length=200)
    short_name = models.CharField("简称", max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="主管部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subordinates",
    )
    unit_type = models.CharField(
        "单位性质", max_length=30, choices=UnitType.choices, default=UnitType.ADMINISTRATIVE
    )
    region = models.ForeignKey(
        Region, verbose_name="区域", on_delete=models.PROTECT, related_name="departments"
    )
    internal_units = models.PositiveSmallIntegerField("内设机构数", default=0)
    subordinate_units = models.PositiveSmallIntegerField("下属单位数", default=0)
    staff_administrative = models.PositiveIntegerField("行政（参公）编制数", default=0)
    staff_public_1 = models.PositiveIntegerField("公益一类编制数", default=0)
    staff_public_2 = models.PositiveIntegerField("公益二类编制数", default=0)
    staff_actual = models.PositiveIntegerField("实有在职人数", default=0)
    staff_other = models.PositiveIntegerField("其他人员数", default=0)
    filers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="填报人", related_name="departments", blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["region", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def staff_total(self) -> int:
        """供职人数（编制总数）合计."""
        return self.staff_administrative + self.staff_public_1 + self.staff_public_2


class RubricVersion(models.Model):
    """A loaded rubric data file. Immutable: a change is a new version with a new key."""

    key = models.SlugField("版本标识", max_length=80, unique=True)
    jurisdiction = models.CharField("适用地区", max_length=100)
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=200)
    source = models.CharField("来源文件", max_length=300)
    content = models.JSONField("内容")
    sha256 = models.CharField("内容摘要（SHA-256）", max_length=64)
    loaded_at = models.DateTimeField("载入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "评分体系版本"
        ordering = ["-year", "key"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = (
                RubricVersion.objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            )
            if stored is not None and stored != self.sha256:
                raise ValidationError("评分体系版本载入后不可修改；如需调整请载入新版本。")
        super().save(*args, **kwargs)

    @cached_property
    def spec(self) -> Rubric:
        return _rubric_from_content(self.sha256, self.content)


_RUBRIC_CACHE: dict[str, Rubric] = {}


def _rubric_from_content(sha256: str, content: dict) -> Rubric:
    """Parsed versions are cached by content digest: they never change."""
    if sha256 not in _RUBRIC_CACHE:
        _RUBRIC_CACHE[sha256] = loader.parse(content)
    return _RUBRIC_CACHE[sha256]


class FiscalYear(models.Model):
    region = models.ForeignKey(
        Region, verbose_name="区域", on_delete=models.PROTECT, related_name="fiscal_years"
    )
    year = models.PositiveSmallIntegerField("年度")
    rubric = models.ForeignKey(RubricVersion, verbose_name="评分体系", on_delete=models.PROTECT)
    deadline = models.DateField("填报截止日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="unique_fiscal_year_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.region.name}{self.year}年度"


class Evaluation(models.Model):
    """One department's 部门整体支出绩效自评 for one year."""

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
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(
        "版本号", default=1, help_text="每次保存加一，用于防止覆盖他人的修改。"
    )
    overall_goal = models.TextField("年度整体绩效目标", blank=True)
    goal_completion = models.TextField("整体绩效目标完成情况", blank=True)
    goal_shortfall_reason = models.TextField("未能完成原因", blank=True)
    report_date = models.DateField("报告日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "绩效自评"
        ordering = ["-fiscal_year__year", "department__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "fiscal_year"], name="unique_evaluation_per_department_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department.name} {self.fiscal_year.year}年度"

    @property
    def year(self) -> int:
        return self.fiscal_year.year


class FigureValue(models.Model):
    """One budget figure of an evaluation (万元, or percent for a rate), keyed by the input
    catalogue in rubric/inputs.py. A note keeps where a figure came from or what disagreed."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="figures", verbose_name="绩效自评"
    )
    key = models.CharField(
        "项目", max_length=60, choices=[(f.key, f.label) for f in inputs.FIGURES]
    )
    value = models.DecimalField("数值", null=True, blank=True, **AMOUNT)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "收支数据"
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "key"], name="unique_figure_per_evaluation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()}：{self.value}"


class DutyTask(models.Model):
    """履职效能 task (二级指标), e.g. 任务1-通过强化理论武装，进一步加强思想政治引领。"""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="tasks", verbose_name="绩效自评"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("任务", max_length=300)

    class Meta:
        verbose_name = verbose_name_plural = "履职效能任务"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class DutyIndicator(models.Model):
    """履职效能 indicator row (三级指标): 年度指标值 against 实际完成值."""

    class Operator(models.TextChoices):
        GE = ">=", "≥（不少于）"
        LE = "<=", "≤（不超过）"
        EQ = "=", "＝（等于）"

    task = models.ForeignKey(
        DutyTask, on_delete=models.CASCADE, related_name="rows", verbose_name="任务"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("指标", max_length=300)
    target_text = models.CharField("年度指标值", max_length=500, blank=True)
    operator = models.CharField("比较", max_length=2, choices=Operator.choices, default=Operator.GE)
    target_value = models.DecimalField("指标值（数值）", null=True, blank=True, **AMOUNT)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    actual_text = models.CharField("实际完成指标值", max_length=500, blank=True)
    actual_value = models.DecimalField("实际完成值（数值）", null=True, blank=True, **AMOUNT)
    achieved = models.BooleanField("已完成", null=True, blank=True)
    points = models.DecimalField("分值", validators=[MinValueValidator(Decimal(0))], **SCORE)
    claimed = models.DecimalField("自评分", null=True, blank=True, **SCORE)
    claimed_reason = models.TextField("自评分说明", blank=True)
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "履职效能指标"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


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
    key = models.CharField(
        "章节", max_length=60, choices=[(s.key, s.title) for s in sections.SECTIONS]
    )
    text = models.TextField("正文", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "报告正文"
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "key"], name="unique_section_per_evaluation"
            )
        ]

    def __str__(self) -> str:
        return self.get_key_display()


class Evidence(models.Model):
    """佐证材料 metadata; the upload itself arrives with the evidence issue."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="evidence", verbose_name="绩效自评"
    )
    indicator_code = models.CharField(
        "指标编码", max_length=30, blank=True, help_text="为空表示整体佐证材料。"
    )
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    storage_name = models.CharField("存储名", max_length=255, blank=True)
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
        ordering = ["indicator_code", "id"]

    def __str__(self) -> str:
        return self.original_name


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
