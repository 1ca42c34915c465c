"""The forms of the filing steps. They parse and validate the format of what is typed; whether
the content is complete or consistent is for the engine and evaluations/submission.py, so an
incomplete draft can always be saved."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db import models
from django.forms import formset_factory

from rubric import fmt
from rubric.inputs import FIGURES, Kind, Source
from rubric.spec import Indicator

from .. import sections as catalogue
from ..models import DutyIndicator, Evaluation
from ..services import DEPARTMENT_FIELDS, AnswerInput, RowInput, TaskInput
from ..submission import BASIC_SECTIONS
from .fields import AmountField, NumberField, PercentField, ScoreField, TextField


def _textarea(rows: int = 6, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "data-count": "1", **attrs})


# ---------------------------------------------------------------------------- 基本情况


class BasicForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DEPARTMENT_FIELDS:
            model_field = Evaluation._meta.get_field(name)
            limit = 32767 if isinstance(model_field, models.PositiveSmallIntegerField) else 10**7
            self.fields[name] = forms.IntegerField(
                label=model_field.verbose_name,
                min_value=0,
                max_value=limit,
                required=False,
                error_messages={
                    "invalid": "请输入整数",
                    "min_value": "不能为负数",
                    "max_value": "数值过大",
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        for key in BASIC_SECTIONS:
            section = catalogue.BY_KEY[key]
            self.fields[f"sec_{key}"] = TextField(
                label=section.title, required=False, help_text=section.help, widget=_textarea(8)
            )

    @staticmethod
    def initial_for(evaluation) -> dict:
        texts = {s.key: s.text for s in evaluation.sections.all()}
        initial = {name: getattr(evaluation, name) for name in DEPARTMENT_FIELDS}
        initial.update({f"sec_{key}": texts.get(key, "") for key in BASIC_SECTIONS})
        return initial

    def department_values(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] or 0 for name in DEPARTMENT_FIELDS}

    def section_texts(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"sec_{key}"] for key in BASIC_SECTIONS}


# ---------------------------------------------------------------------------- 收支数据

DEPARTMENT_FIGURES = [f for f in FIGURES if f.source is Source.DEPARTMENT]


class FiguresForm(forms.Form):
    """One field per department-supplied figure of the input catalogue."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for fig in DEPARTMENT_FIGURES:
            field_class = PercentField if fig.kind is Kind.RATE else AmountField
            self.fields[fig.key] = field_class(label=fig.label, help_text=fig.help)

    @staticmethod
    def initial_for(evaluation) -> dict:
        return {f.key: f.value for f in evaluation.figures.all()}


# ---------------------------------------------------------------------------- 评分指标


class IndicatorForm(forms.Form):
    """One rubric leaf: its checklist choices (if any), 自评分, reason, note."""

    def __init__(self, *args, indicator: Indicator, minimum: Decimal = Decimal(0), **kwargs):
        kwargs.setdefault("prefix", "ind-" + indicator.code.replace(".", "-"))
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        for item in indicator.params.get("items", []) if indicator.method == "checklist" else []:
            self.fields[f"item_{item['key']}"] = forms.ChoiceField(
                label=item["text"],
                required=False,
                choices=[
                    (o["key"], f"{o['label']}（{_score(o['score'])}）") for o in item["options"]
                ],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
        self.fields["claimed"] = ScoreField(
            label="自评分",
            minimum=minimum,
            maximum=indicator.points,
            help_text="留空则取计算得分。"
            if indicator.method != "manual"
            else "人工评分，须填写理由。",
        )
        self.fields["reason"] = TextField(
            label="自评分说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
        )
        self.fields["note"] = TextField(
            label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2})
        )

    def item_fields(self):
        return [self[name] for name in self.fields if name.startswith("item_")]

    @staticmethod
    def initial_for(answer) -> dict:
        if answer is None:
            return {}
        initial = {f"item_{k}": v for k, v in (answer.choices or {}).items()}
        initial.update(claimed=answer.claimed, reason=answer.claimed_reason, note=answer.note)
        return initial

    def answer(self) -> AnswerInput:
        data = self.cleaned_data
        choices = {
            name.removeprefix("item_"): data[name]
            for name in self.fields
            if name.startswith("item_") and data.get(name)
        }
        return AnswerInput(
            choices=choices,
            claimed=data.get("claimed"),
            reason=data.get("reason", "").strip(),
            note=data.get("note", "").strip(),
        )


def _score(value) -> str:
    d = Decimal(value)
    return f"{d:+g}分" if d < 0 else f"{d:g}分"


# ---------------------------------------------------------------------------- 履职效能


class DutyGoalForm(forms.Form):
    overall_goal = TextField(label="年度整体绩效目标", required=False, widget=_textarea(4))
    goal_completion = TextField(label="整体绩效目标完成情况", required=False, widget=_textarea(4))
    goal_shortfall_reason = TextField(label="未能完成原因", required=False, widget=_textarea(2))


def _identity() -> forms.IntegerField:
    """The saved task's or row's id, carried by the form so that a save updates that one in
    place (empty for a new one)."""
    return forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class TaskForm(forms.Form):
    id = _identity()
    name = forms.CharField(
        label="任务", max_length=300, error_messages={"required": "请填写任务名称"}
    )


ACHIEVED_CHOICES = [("", "按数值判断"), ("yes", "已完成"), ("no", "未完成")]


class RowForm(forms.Form):
    id = _identity()
    name = forms.CharField(
        label="指标", max_length=300, error_messages={"required": "请填写指标名称"}
    )
    target_text = forms.CharField(label="年度指标值", max_length=500, required=False)
    operator = forms.ChoiceField(label="比较", choices=DutyIndicator.Operator.choices, initial=">=")
    target_value = NumberField(label="指标值")
    unit = forms.CharField(label="单位", max_length=20, required=False)
    actual_text = forms.CharField(label="实际完成指标值", max_length=500, required=False)
    actual_value = NumberField(label="实际值")
    achieved = forms.ChoiceField(label="完成情况", choices=ACHIEVED_CHOICES, required=False)
    points = ScoreField(label="分值", maximum=Decimal(100), required=True)
    claimed = ScoreField(label="自评分", help_text="留空则取计算得分")
    claimed_reason = forms.CharField(label="自评分说明", required=False)
    note = forms.CharField(label="备注", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].error_messages["required"] = "请填写分值"

    def clean(self):
        data = super().clean()
        claimed, points = data.get("claimed"), data.get("points")
        if claimed is not None and points is not None and claimed > points:
            self.add_error("claimed", f"自评分不能大于分值{fmt.num(points)}")
        return data

    @staticmethod
    def initial_for(row: DutyIndicator) -> dict:
        achieved = {True: "yes", False: "no", None: ""}[row.achieved]
        return {
            "id": row.pk,
            "name": row.name,
            "target_text": row.target_text,
            "operator": row.operator,
            "target_value": row.target_value,
            "unit": row.unit,
            "actual_text": row.actual_text,
            "actual_value": row.actual_value,
            "achieved": achieved,
            "points": row.points,
            "claimed": row.claimed,
            "claimed_reason": row.claimed_reason,
            "note": row.note,
        }

    def row(self) -> RowInput:
        d = self.cleaned_data
        return RowInput(
            name=d["name"].strip(),
            points=d["points"],
            operator=d["operator"],
            target_value=d.get("target_value"),
            target_text=d.get("target_text", "").strip(),
            unit=d.get("unit", "").strip(),
            actual_value=d.get("actual_value"),
            actual_text=d.get("actual_text", "").strip(),
            achieved={"yes": True, "no": False}.get(d.get("achieved") or ""),
            claimed=d.get("claimed"),
            claimed_reason=d.get("claimed_reason", "").strip(),
            note=d.get("note", "").strip(),
            id=d.get("id"),
        )


# Bounded so that one request cannot make the server build thousands of forms.
MAX_TASKS, MAX_ROWS_PER_TASK = 10, 20
TaskFormSet = formset_factory(
    TaskForm,
    extra=0,
    can_order=True,
    can_delete=True,
    max_num=MAX_TASKS,
    absolute_max=MAX_TASKS,
    validate_max=True,
)
RowFormSet = formset_factory(
    RowForm,
    extra=0,
    can_order=True,
    can_delete=True,
    max_num=MAX_ROWS_PER_TASK,
    absolute_max=MAX_ROWS_PER_TASK,
    validate_max=True,
)


def is_deleted(formset, form) -> bool:
    """Whether a bound form of a formset is marked for deletion (after validation)."""
    form.errors  # noqa: B018 - runs the form's validation, which fills cleaned_data
    return bool(formset.can_delete and formset._should_delete_form(form))


def row_prefix(task_index: int | str) -> str:
    return f"task-{task_index}-rows"


class DutyForms:
    """The 履职效能 step: goal texts, a formset of tasks, and one formset of rows per task."""

    def __init__(self, data=None, *, evaluation=None):
        if data is None:
            tasks = list(evaluation.tasks.all())
            goal_initial = {
                "overall_goal": evaluation.overall_goal,
                "goal_completion": evaluation.goal_completion,
                "goal_shortfall_reason": evaluation.goal_shortfall_reason,
            }
            self.goal = DutyGoalForm(initial=goal_initial)
            self.tasks = TaskFormSet(
                prefix="tasks",
                initial=[{"id": t.pk, "name": t.name, "ORDER": i} for i, t in enumerate(tasks, 1)],
            )
            self.rows = [
                RowFormSet(
                    prefix=row_prefix(i),
                    initial=[
                        {**RowForm.initial_for(r), "ORDER": j}
                        for j, r in enumerate(t.rows.all(), 1)
                    ],
                )
                for i, t in enumerate(tasks)
            ]
        else:
            self.goal = DutyGoalForm(data)
            self.tasks = TaskFormSet(data, prefix="tasks")
            self.rows = [
                RowFormSet(data, prefix=row_prefix(i)) for i in range(self.tasks.total_form_count())
            ]

    @property
    def pairs(self):
        return list(zip(self.tasks.forms, self.rows, strict=True))

    def is_valid(self) -> bool:
        valid = self.goal.is_valid() & self.tasks.is_valid()
        for task_form, rows in self.pairs:
            if not is_deleted(self.tasks, task_form):
                valid &= rows.is_valid()
        return bool(valid)

    def error_count(self) -> int:
        count = len(self.goal.errors) + sum(len(f.errors) for f in self.tasks.forms)
        count += len(self.tasks.non_form_errors())
        for task_form, rows in self.pairs:
            if not is_deleted(self.tasks, task_form):
                count += sum(len(f.errors) for f in rows.forms if not is_deleted(rows, f))
        return count

    def task_inputs(self) -> list[TaskInput]:
        index = {id(f): i for i, f in enumerate(self.tasks.forms)}
        result = []
        for form in self.tasks.ordered_forms:
            rows = self.rows[index[id(form)]]
            result.append(
                TaskInput(
                    name=form.cleaned_data["name"].strip(),
                    rows=tuple(f.row() for f in rows.ordered_forms),
                    id=form.cleaned_data.get("id"),
                )
            )
        return result

    # Templates for rows and tasks added in the browser (static/js/filing.js fills in the
    # indexes): __prefix__ is the new form's index, __task__ the index of the row's task.
    def empty_task(self):
        return self.tasks.empty_form

    def empty_task_rows_management(self):
        return RowFormSet(prefix=row_prefix("__prefix__")).management_form

    def empty_row(self):
        return RowFormSet(prefix=row_prefix("__task__")).empty_form


# ---------------------------------------------------------------------------- 报告正文

REPORT_SECTIONS = [s for s in catalogue.SECTIONS if s.key not in BASIC_SECTIONS]


class ReportForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in REPORT_SECTIONS:
            self.fields[section.key] = TextField(
                label=section.title, required=False, help_text=section.help, widget=_textarea(10)
            )

    @staticmethod
    def initial_for(evaluation) -> dict:
        return {s.key: s.text for s in evaluation.sections.all() if s.key in catalogue.BY_KEY}

    def texts(self) -> dict[str, str]:
        return {key: value.strip() for key, value in self.cleaned_data.items()}
