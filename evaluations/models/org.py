"""Regions, departments, rubric versions and fiscal years."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from rubric import loader
from rubric.spec import Rubric


class Region(models.Model):
    """A jurisdiction whose finance bureau (财政局) reviews its departments' filings."""

    code = models.SlugField("编码", max_length=50, unique=True)
    # Changed by the database on every write to this row (evaluations.stamps): the
    # page cache's key. Never written by the code.
    page_stamp = models.BigIntegerField("页面版本", default=0, editable=False)
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


class Staffing(models.Model):
    """机构设置与人员编制 as of a year's end. A department carries its current numbers; each
    evaluation keeps its own copy (taken when it is created), so editing one year's filing
    never changes another year's, nor a submitted or published one."""

    internal_units = models.PositiveSmallIntegerField("内设机构数", default=0)
    subordinate_units = models.PositiveSmallIntegerField("下属单位数", default=0)
    staff_administrative = models.PositiveIntegerField("行政（参公）编制数", default=0)
    staff_public_1 = models.PositiveIntegerField("公益一类编制数", default=0)
    staff_public_2 = models.PositiveIntegerField("公益二类编制数", default=0)
    staff_actual = models.PositiveIntegerField("实有在职人数", default=0)
    staff_other = models.PositiveIntegerField("其他人员数", default=0)

    class Meta:
        abstract = True

    @property
    def staff_total(self) -> int:
        """供职人数（编制总数）合计."""
        return self.staff_administrative + self.staff_public_1 + self.staff_public_2

    STAFFING_FIELDS = (
        "internal_units",
        "subordinate_units",
        "staff_administrative",
        "staff_public_1",
        "staff_public_2",
        "staff_actual",
        "staff_other",
    )

    def staffing(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.STAFFING_FIELDS}


class Department(Staffing):
    class UnitType(models.TextChoices):
        ADMINISTRATIVE = "administrative", "行政单位"
        PUBLIC_INSTITUTION = "public_institution", "事业单位"
        OTHER = "other", "其他"

    code = models.SlugField("单位编码", max_length=50, unique=True)
    name = models.CharField("单位名称", max_length=200)
    short_name = models.CharField("简称", max_length=100, blank=True)
    # Changed by the database on every write to this row (evaluations.stamps): the
    # page cache's key. Never written by the code.
    page_stamp = models.BigIntegerField("页面版本", default=0, editable=False)
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
    filers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="填报人", related_name="departments", blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["region", "code"]

    def __str__(self) -> str:
        return self.name


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
        """Refuse any change of content once stored, whatever the digest field says."""
        if loader.digest(self.content) != self.sha256:
            raise ValidationError("评分体系内容与其摘要不符。")
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
    # Changed by the database on every write to this row (evaluations.stamps): the
    # page cache's key. Never written by the code.
    page_stamp = models.BigIntegerField("页面版本", default=0, editable=False)
    project_rubric = models.ForeignKey(
        RubricVersion,
        verbose_name="项目支出评分体系",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project_fiscal_years",
        help_text="设置后，部门可在本年度新建项目支出绩效自评（每个项目一份）。",
    )
    deadline = models.DateField("填报截止日期", null=True, blank=True)
    # The yearly round (开启年度评价): a year opened with a deadline that closes it.
    closes_at_deadline = models.BooleanField(
        "截止后停止填报",
        default=False,
        help_text="勾选后，截止日期之后部门不能再修改自评，除非审核人为该部门延期。",
    )
    remind_days_before = models.PositiveSmallIntegerField(
        "提前提醒天数",
        default=7,
        help_text="截止日期前多少天向尚未提交的部门发送提醒邮件；0 表示只在逾期后提醒。",
    )
    opened_at = models.DateTimeField("开启时间", null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="开启人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "年度"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="unique_fiscal_year_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.region.name}{self.year}年度"
