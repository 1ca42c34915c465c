"""The finance bureau's forms of the yearly round: 开启年度评价, 延期, 催办."""

from __future__ import annotations

from django import forms

from ..models import Department, RubricVersion
from .fields import TextField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundOpenForm(forms.Form):
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "请填写年度。",
            "invalid": "年度应为四位数字，如 2023。",
            "min_value": "年度应为 2000 到 2100 之间的年份。",
            "max_value": "年度应为 2000 到 2100 之间的年份。",
        },
    )
    rubric = forms.ModelChoiceField(
        label="评分体系版本",
        queryset=RubricVersion.objects.none(),
        empty_label=None,
        error_messages={
            "required": "请选择评分体系版本。",
            "invalid_choice": "请选择评分体系版本。",
        },
    )
    deadline = forms.DateField(
        label="填报截止日期",
        widget=DATE_WIDGET,
        help_text="截止日期之后部门不能再修改自评，除非审核人为其延期。",
        error_messages={"required": "请填写填报截止日期。", "invalid": "日期应写作 2024-03-31。"},
    )
    remind_days_before = forms.IntegerField(
        label="截止前提醒天数",
        min_value=0,
        max_value=90,
        initial=7,
        help_text="截止日期前这么多天起，向尚未提交的部门发送一次提醒邮件；逾期后另行提醒。填 0 只在逾期后提醒。",
        error_messages={
            "required": "请填写提醒天数。",
            "invalid": "提醒天数应为整数。",
            "min_value": "提醒天数应为 0 到 90。",
            "max_value": "提醒天数应为 0 到 90。",
        },
    )
    scope = forms.ChoiceField(
        label="参加部门",
        choices=[("all", "本区域全部部门"), ("selected", "只选以下部门")],
        initial="all",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    departments = forms.ModelMultipleChoiceField(
        label="部门",
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "所选部门不属于本区域。"},
    )

    def __init__(self, *args, region, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = RubricVersion.objects.order_by("-year", "key")
        self.fields["rubric"].label_from_instance = lambda r: f"{r.title}（{r.key}）"
        self.fields["departments"].queryset = Department.objects.filter(region=region).order_by(
            "code"
        )
        self.fields["departments"].label_from_instance = lambda d: f"{d.name}（{d.code}）"

    def clean(self):
        data = super().clean()
        if data.get("scope") == "selected" and not data.get("departments"):
            self.add_error("departments", "请至少选择一个部门，或选择“本区域全部部门”。")
        return data


class ExtensionForm(forms.Form):
    until = forms.DateField(
        label="延期至",
        widget=DATE_WIDGET,
        error_messages={"required": "请填写延期日期。", "invalid": "日期应写作 2024-04-15。"},
    )
    reason = TextField(
        label="延期理由",
        kind="extension_reason",
        error_messages={"required": "请填写延期理由。"},
    )
