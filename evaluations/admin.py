from django import forms
from django.contrib import admin, messages

from . import models
from .forms.widgets import ChineseFileInput


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


class RubricUploadForm(forms.ModelForm):
    """A new rubric version: its data file, loaded and validated by services.rubric_load (the
    same as `manage.py load_rubric`); a version, once loaded, is never edited."""

    upload = forms.FileField(
        label="评分体系数据文件（YAML）",
        widget=ChineseFileInput(attrs={"accept": ".yaml,.yml"}),
        error_messages={"required": "请选择评分体系数据文件", "empty": "所选文件是空的"},
    )

    class Meta:
        model = models.RubricVersion
        fields: list[str] = []

    def clean_upload(self):
        import tempfile
        from pathlib import Path

        from rubric import loader

        from . import services

        upload = self.cleaned_data["upload"]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rubric.yaml"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                self.loaded, self.created = services.rubric_load(path)
            except loader.RubricError as exc:
                raise forms.ValidationError(str(exc)) from exc
        if not self.created:
            raise forms.ValidationError(
                f"评分体系版本 {self.loaded.key} 已载入，内容相同，无需重复载入。"
            )
        return upload


@admin.register(models.RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    """Rubric management: a new version is added by uploading its data file (validated as by
    `manage.py load_rubric`); a loaded version is immutable (a change is a new version) and is
    assigned to a fiscal year on the year's page."""

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

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RubricUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["upload"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        # Stored by services.rubric_load in the form's validation (inside the admin's
        # transaction): the admin logs and shows that row.
        loaded = form.loaded
        obj.pk = loaded.pk
        obj.__dict__.update({f.attname: getattr(loaded, f.attname) for f in obj._meta.fields})
        obj._state.adding = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a version scored evaluations (or may have, in a backup): it stays


@admin.register(models.FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["year", "region", "rubric", "project_rubric", "deadline", "closes_at_deadline"]
    list_filter = ["region"]
    # the round's reminder days and who opened it: set on the 开启年度评价 page (or open_round)
    readonly_fields = ["remind_days_before", "opened_at", "opened_by"]

    def save_model(self, request, obj, form, change) -> None:
        """An admin edit of a year: its evaluations' stored totals are refreshed."""
        from .services.common import refresh_totals

        super().save_model(request, obj, form, change)
        for pk in obj.evaluations.values_list("pk", flat=True):
            refresh_totals(pk)


# ---------------------------------------------------------------------------- workflow data
# Status, events, field history, scores, annotations, published files, figures and rows are
# read-only here: every change to them goes through the services (which lock, re-check the
# access policy, write the event and the field history, and refresh the stored totals). The
# one state change offered, reopening, is an admin action that calls the service.


class ReadOnlyMixin:
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyTabular(ReadOnlyMixin, admin.TabularInline):
    extra = 0


class FigureInline(ReadOnlyTabular):
    model = models.FigureValue


class TaskInline(ReadOnlyTabular):
    model = models.DutyTask
    show_change_link = True


class AnswerInline(ReadOnlyTabular):
    model = models.IndicatorAnswer


class SectionInline(ReadOnlyMixin, admin.StackedInline):
    model = models.ReportSection
    extra = 0


class BonusInline(ReadOnlyTabular):
    model = models.BonusEvent


class EventInline(ReadOnlyTabular):
    model = models.EvaluationEvent


class ReviewedInline(ReadOnlyTabular):
    model = models.ReviewedScore


class PublicationInline(ReadOnlyTabular):
    model = models.PublishedReport


class ReopenForm(forms.Form):
    reason = forms.CharField(label="重新打开的理由", widget=forms.Textarea(attrs={"rows": 3}))


@admin.action(description="重新打开所选的已公开自评（退回填报人，须填写理由）")
def reopen_selected(modeladmin, request, queryset):
    """The workflow's reopen, through its service, for each selected evaluation."""
    from django.template.response import TemplateResponse

    from . import services

    form = ReopenForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done = 0
        for evaluation in queryset:
            try:
                services.evaluation_reopen(evaluation.pk, request.user, form.cleaned_data["reason"])
            except services.ServiceError as exc:
                modeladmin.message_user(request, f"{evaluation}：{exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"已重新打开 {done} 份自评。", messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/evaluations/reopen.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "重新打开已公开的自评",
            "form": form,
            "queryset": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.action(description="重新计算所选自评的总分")
def refresh_selected_totals(modeladmin, request, queryset):
    from .services.common import refresh_totals

    for pk in queryset.values_list("pk", flat=True):
        refresh_totals(pk)
    modeladmin.message_user(request, "总分已重新计算。", messages.SUCCESS)


@admin.register(models.Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Created here (department, year, rubric version); after that read-only."""

    list_display = [
        "department",
        "fiscal_year",
        "project",
        "status",
        "version",
        "final_total",
        "updated_at",
    ]
    list_filter = ["fiscal_year__year", "status", "department__region"]
    search_fields = ["department__name", "department__code", "project"]
    inlines = [
        FigureInline,
        TaskInline,
        AnswerInline,
        BonusInline,
        SectionInline,
        ReviewedInline,
        EventInline,
        PublicationInline,
    ]
    actions = [reopen_selected, refresh_selected_totals]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["department", "fiscal_year", "project", "rubric"]
        return super().get_fields(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        from .services.common import refresh_totals

        super().save_model(request, obj, form, change)
        refresh_totals(obj.pk)


@admin.register(models.DutyTask)
class DutyTaskAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "evaluation", "position"]

    class RowInline(ReadOnlyTabular):
        model = models.DutyIndicator

    inlines = [RowInline]


@admin.register(models.Evidence)
class EvidenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["original_name", "evaluation", "indicator_codes", "size", "uploaded_at"]

    class LinkInline(ReadOnlyTabular):
        model = models.EvidenceLink

    inlines = [LinkInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("links")

    @admin.display(description="关联指标")
    def indicator_codes(self, obj) -> str:
        return "、".join(link.indicator_code for link in obj.links.all()) or "（整体）"


@admin.register(models.EvaluationEvent)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "action", "from_status", "to_status", "actor", "at"]
    list_filter = ["action", "to_status"]


@admin.register(models.BonusEvent)
class BonusEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "kind", "description"]


@admin.register(models.ReviewedScore)
class ReviewedScoreAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "code", "score", "reviewer"]


@admin.register(models.Annotation)
class AnnotationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "target_label", "author", "created_at", "resolved_at"]


@admin.register(models.FieldChange)
class FieldChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "label", "actor"]


@admin.register(models.PublishedReport)
class PublishedReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "published_at", "sha256", "superseded_at"]


@admin.register(models.BulkJob)
class BulkJobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Viewed here; cancelled through the service (the same as the 批量任务 page)."""

    list_display = [
        "kind",
        "fiscal_year",
        "state",
        "done",
        "total",
        "created_by",
        "created_at",
        "heartbeat_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]
    actions = ["cancel_jobs"]

    @admin.action(description="取消所选的进行中任务")
    def cancel_jobs(self, request, queryset):
        from . import services

        done = 0
        for job in queryset.filter(state__in=models.BulkJob.ACTIVE):
            try:
                services.bulk_job_cancel(job.pk, request.user)
            except services.ServiceError as exc:
                self.message_user(request, f"{job}：{exc.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"已取消 {done} 个任务。", messages.SUCCESS)


@admin.register(models.PdfRender)
class PdfRenderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "evaluation",
        "kind",
        "state",
        "revision",
        "template_version",
        "size",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]


@admin.register(models.AuditLog)
class AuditLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The security audit trail (evaluations.audit): who, from which address, where, when."""

    list_display = ["at", "event_label", "username", "ip", "path"]
    list_filter = ["event"]
    search_fields = ["username", "ip", "path"]

    @admin.display(description="事件", ordering="event")
    def event_label(self, obj) -> str:
        from .audit import EVENT_LABELS

        return EVENT_LABELS.get(obj.event, obj.event)


@admin.register(models.PasswordRecord)
class PasswordRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "changed_at"]
    search_fields = ["user__username"]


@admin.register(models.DeadlineExtension)
class DeadlineExtensionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["department", "fiscal_year", "until", "reason", "granted_by", "granted_at"]
    list_filter = ["fiscal_year__region", "fiscal_year__year"]


@admin.register(models.Reminder)
class ReminderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["evaluation", "kind", "overdue", "sent_at", "sent_by"]
    list_filter = ["kind", "overdue"]
