"""The filer home's small form: start a 项目支出 evaluation (项目名称, and the department and
year when the filer has more than one to choose from)."""

from __future__ import annotations

from django import forms

from ..services.projects import PROJECT_MAX_LENGTH


class ProjectCreateForm(forms.Form):
    target = forms.ChoiceField(label="部门与年度")
    project = forms.CharField(
        label="项目名称",
        max_length=PROJECT_MAX_LENGTH,
        error_messages={
            "required": "请填写项目名称。",
            "max_length": f"项目名称不能超过{PROJECT_MAX_LENGTH}个字。",
        },
        widget=forms.TextInput(attrs={"placeholder": "如：2023年高标准农田建设项目"}),
    )

    def __init__(self, *args, targets, **kwargs):
        """`targets`: the (department, fiscal year) pairs from selectors.project_targets."""
        super().__init__(*args, **kwargs)
        self.targets = {f"{d.pk}-{fy.pk}": (d, fy) for d, fy in targets}
        self.fields["target"].choices = [
            (key, f"{d.name} {fy.year}年度") for key, (d, fy) in self.targets.items()
        ]
        self.fields["target"].error_messages["invalid_choice"] = "请选择部门与年度。"
        if len(self.targets) == 1:
            self.fields["target"].initial = next(iter(self.targets))
            self.fields["target"].widget = forms.HiddenInput()

    def chosen(self):
        """The chosen (department, fiscal year), once valid."""
        return self.targets[self.cleaned_data["target"]]
