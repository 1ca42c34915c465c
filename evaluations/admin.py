from django.contrib import admin

from . import models


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "finance_bureau"]
    filter_horizontal = ["reviewers"]


@admin.register(models.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "unit_type", "parent"]
    list_filter = ["region", "unit_type"]
    search_fields = ["code", "name", "short_name"]
    filter_horizontal = ["filers"]


@admin.register(models.RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "jurisdiction", "year", "loaded_at"]
    readonly_fields = [
        "key",
        "jurisdiction",
        "year",
        "title",
        "source",
        "content",
        "sha256",
        "loaded_at",
    ]

    def has_add_permission(self, request):
        return False  # versions are loaded with `manage.py load_rubric`, never typed in

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["year", "region", "rubric", "deadline"]
    list_filter = ["region"]


class FigureInline(admin.TabularInline):
    model = models.FigureValue
    extra = 0


class TaskInline(admin.TabularInline):
    model = models.DutyTask
    extra = 0
    show_change_link = True


class AnswerInline(admin.TabularInline):
    model = models.IndicatorAnswer
    extra = 0


class SectionInline(admin.StackedInline):
    model = models.ReportSection
    extra = 0


class BonusInline(admin.TabularInline):
    model = models.BonusEvent
    extra = 0


class EventInline(admin.TabularInline):
    model = models.EvaluationEvent
    extra = 0
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "comment"]
    can_delete = False


@admin.register(models.Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["department", "fiscal_year", "status", "version", "updated_at"]
    list_filter = ["fiscal_year__year", "status", "department__region"]
    search_fields = ["department__name", "department__code"]
    readonly_fields = ["version", "created_at", "updated_at", "submitted_at"]
    inlines = [FigureInline, TaskInline, AnswerInline, BonusInline, SectionInline, EventInline]


class RowInline(admin.TabularInline):
    model = models.DutyIndicator
    extra = 0


@admin.register(models.DutyTask)
class DutyTaskAdmin(admin.ModelAdmin):
    list_display = ["name", "evaluation", "position"]
    inlines = [RowInline]


@admin.register(models.Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "evaluation", "indicator_code", "size", "uploaded_at"]
    readonly_fields = ["sha256", "size", "uploaded_at"]


admin.site.register(models.BonusEvent)
admin.site.register(models.EvaluationEvent)
