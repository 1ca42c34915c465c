"""The forms of the filing steps. They parse and validate the format of what is typed; whether
the content is complete or consistent is for the engine and evaluations/submission.py, so an
incomplete draft can always be saved."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db import models
from django.forms import formset_factory

from rubric import fmt
from rubric.inputs import Source
from rubric.spec import Indicator

from ..models import DutyIndicator, Evaluation
from ..parsing import InputError, parse_phone
from ..scoring import figures_of
from ..services import DEPARTMENT_FIELDS, AnswerInput, ReportMeta, RowInput, TaskInput
from .fields import NumberField, ScoreField, TextField, input_field, typed_percent


def _textarea(rows: int = 6, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "data-count": "1", **attrs})


# ---------------------------------------------------------------------------- 基本情况


def basic_sections(rubric) -> list:
    """The report texts the rubric asks for on the 基本情况 step."""
    return [s for s in rubric.report.sections if s.step == "basic"]


def report_sections(rubric) -> list:
    """… and on the 报告正文 step."""
    return [s for s in rubric.report.sections if s.step == "report"]


class BasicForm(forms.Form):
    def __init__(self, *args, rubric, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = basic_sections(rubric)
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
        for section in self.sections:
            self.fields[f"sec_{section.key}"] = TextField(
                label=section.title,
                required=False,
                help_text=section.help,
                widget=_textarea(8),
                kind="section",
            )

    @staticmethod
    def initial_for(evaluation) -> dict:
        texts = {s.key: s.text for s in evaluation.sections.all()}
        initial = {name: getattr(evaluation, name) for name in DEPARTMENT_FIELDS}
        initial.update(
            {f"sec_{s.key}": texts.get(s.key, "") for s in basic_sections(evaluation.rubric.spec)}
        )
        return initial

    def department_values(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] or 0 for name in DEPARTMENT_FIELDS}

    def section_texts(self) -> dict[str, str]:
        return {s.key: self.cleaned_data[f"sec_{s.key}"] for s in self.sections}

    def section_fields(self) -> list:
        """(section, bound field) for the template, in the rubric's order."""
        return [(s, self[f"sec_{s.key}"]) for s in self.sections]

    @property
    def sections_title(self) -> str:
        """The card's title: the first section's heading without its number, e.g. 部门概况."""
        import re

        heading = self.sections[0].heading if self.sections else ""
        return re.sub(r"^[（(][一二三四五六七八九十\d]+[)）]", "", heading) or "概况"


# ---------------------------------------------------------------------------- 收支数据


def department_inputs(rubric) -> list:
    """The inputs of the rubric the department enters (not the finance bureau's, not derived),
    and only those something uses (rubric.used_inputs)."""
    used = rubric.used_inputs
    return [i for i in rubric.inputs if i.source == Source.DEPARTMENT and i.key in used]


class FiguresForm(forms.Form):
    """One field per input of the evaluation's rubric that the department supplies."""

    def __init__(self, *args, rubric, **kwargs):
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        for spec in department_inputs(rubric):
            self.fields[spec.key] = input_field(spec)

    @staticmethod
    def initial_for(evaluation) -> dict:
        return figures_of(evaluation)


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
            label="自评分说明",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            kind="reason",
        )
        self.fields["note"] = TextField(
            label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}), kind="note"
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
    overall_goal = TextField(
        label="年度整体绩效目标", required=False, widget=_textarea(4), kind="goal"
    )
    goal_completion = TextField(
        label="整体绩效目标完成情况", required=False, widget=_textarea(4), kind="goal"
    )
    goal_shortfall_reason = TextField(
        label="未能完成原因", required=False, widget=_textarea(2), kind="goal"
    )


def _identity() -> forms.IntegerField:
    """The saved task's or row's id, carried by the form so that a save updates that one in
    place (empty for a new one)."""
    return forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class TaskForm(forms.Form):
    id = _identity()
    name = TextField(label="任务", kind="task_name", error_messages={"required": "请填写任务名称"})
    section = forms.ChoiceField(label="所属指标", required=False, choices=[("", "—")])

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        # the rubric's target-rows leaves (e.g. 产出指标, 效益指标); hidden where there is one
        self.fields["section"].choices = [
            (leaf.code, f"{leaf.code} {leaf.name}") for leaf in sections
        ] or [("", "—")]
        if len(sections) <= 1:
            self.fields["section"].widget = forms.HiddenInput()
        elif not self.initial.get("section"):
            self.initial["section"] = sections[0].code


ACHIEVED_CHOICES = [("", "按数值判断"), ("yes", "已完成"), ("no", "未完成")]


class RowForm(forms.Form):
    id = _identity()
    name = TextField(label="指标", kind="row_name", error_messages={"required": "请填写指标名称"})
    target_text = TextField(label="年度指标值", required=False, kind="target_text")
    operator = forms.ChoiceField(label="比较", choices=DutyIndicator.Operator.choices, initial=">=")
    target_value = NumberField(label="指标值")
    unit = TextField(label="单位", required=False, kind="unit")
    actual_text = TextField(label="实际完成指标值", required=False, kind="target_text")
    actual_value = NumberField(label="实际值")
    achieved = forms.ChoiceField(
        label="完成情况",
        choices=ACHIEVED_CHOICES,
        required=False,
        help_text="填写了指标值和实际值时按数值自动判断",
    )
    points = ScoreField(label="分值", maximum=Decimal(100), required=True)
    claimed = ScoreField(label="自评分", help_text="留空则取计算得分")
    claimed_reason = TextField(label="自评分说明", required=False, kind="reason")
    note = TextField(label="备注", required=False, kind="note")
    initial_target_text = TextField(
        label="年初指标值", required=False, help_text="年中调整过指标值时填写", kind="target_text"
    )
    target_max = NumberField(label="上限", help_text="“介于”时的上限")
    target_date = forms.DateField(
        label="目标日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的日期，例如 2022-09-30"},
    )
    actual_date = forms.DateField(
        label="实际完成日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的日期，例如 2022-09-28"},
    )
    core = forms.BooleanField(label="核心指标", required=False)
    grade = forms.ChoiceField(label="完成等级", required=False, choices=[("", "—")])
    target_change_reason = TextField(
        label="调整批复指标的理由",
        required=False,
        kind="reason",
        help_text="年度指标值或分值与批复的绩效目标不同时必填",
    )

    def __init__(self, *args, grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].error_messages["required"] = "请填写分值"
        # the 完成等级 of the rubric's target-rows sections (for qualitative rows)
        self.fields["grade"].choices = [("", "—"), *((g["key"], g["label"]) for g in grades)]
        if not grades:
            self.fields["grade"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        claimed, points = data.get("claimed"), data.get("points")
        if claimed is not None and points is not None and claimed > points:
            self.add_error("claimed", f"自评分不能大于分值{fmt.num(points)}")
        low, high = data.get("target_value"), data.get("target_max")
        if (
            data.get("operator") == "between"
            and low is not None
            and high is not None
            and high < low
        ):
            self.add_error("target_max", "上限不能小于指标值")
        self._percent_unit(data)
        return data

    def _percent_unit(self, data: dict) -> None:
        """A value typed as a percentage ('90%') makes % the row's unit when none is given;
        against another unit it is an error that says so."""
        typed = [
            n for n in ("target_value", "actual_value", "target_max") if typed_percent(self, n)
        ]
        if not typed:
            return
        unit = (data.get("unit") or "").strip().translate({0xFF05: "%"})
        if unit in ("", "%"):
            data["unit"] = "%"
            return
        for name in typed:
            if name in data:
                self.add_error(
                    name, f"单位是“{unit}”，数值不能带百分号；若按百分比计，请把单位改为 %"
                )

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
            "initial_target_text": row.initial_target_text,
            "target_max": row.target_max,
            "target_date": row.target_date,
            "actual_date": row.actual_date,
            "core": row.core,
            "grade": row.grade,
            "target_change_reason": row.target_change_reason,
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
            initial_target_text=d.get("initial_target_text", "").strip(),
            target_max=d.get("target_max"),
            target_date=d.get("target_date"),
            actual_date=d.get("actual_date"),
            core=bool(d.get("core")),
            grade=d.get("grade") or "",
            target_change_reason=d.get("target_change_reason", "").strip(),
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

    def __init__(self, data=None, *, evaluation=None, rubric=None):
        rubric = rubric or evaluation.rubric.spec
        self.sections = rubric.target_sections()
        grades = {g["key"]: g for leaf in self.sections for g in leaf.params.get("grades") or ()}
        self.task_kwargs = {"sections": self.sections}
        self.row_kwargs = {"grades": tuple(grades.values())}
        if data is None:
            tasks = list(evaluation.tasks.all())
            goal_initial = {
                "overall_goal": evaluation.overall_goal,
                "goal_completion": evaluation.goal_completion,
                "goal_shortfall_reason": evaluation.goal_shortfall_reason,
            }
            self.goal = DutyGoalForm(initial=goal_initial)
            first = self.sections[0].code if self.sections else ""
            self.tasks = TaskFormSet(
                prefix="tasks",
                initial=[
                    {"id": t.pk, "name": t.name, "section": t.section or first, "ORDER": i}
                    for i, t in enumerate(tasks, 1)
                ],
                form_kwargs=self.task_kwargs,
            )
            self.rows = [
                RowFormSet(
                    prefix=row_prefix(i),
                    initial=[
                        {**RowForm.initial_for(r), "ORDER": j}
                        for j, r in enumerate(t.rows.all(), 1)
                    ],
                    form_kwargs=self.row_kwargs,
                )
                for i, t in enumerate(tasks)
            ]
        else:
            self.goal = DutyGoalForm(data)
            self.tasks = TaskFormSet(data, prefix="tasks", form_kwargs=self.task_kwargs)
            self.rows = [
                RowFormSet(data, prefix=row_prefix(i), form_kwargs=self.row_kwargs)
                for i in range(self.tasks.total_form_count())
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
                    section=form.cleaned_data.get("section") or "",
                )
            )
        return result

    # Templates for rows and tasks added in the browser (static/js/filing.js fills in the
    # indexes): __prefix__ is the new form's index, __task__ the index of the row's task.
    def empty_task(self):
        return self.tasks.empty_form

    def empty_task_rows_management(self):
        return RowFormSet(
            prefix=row_prefix("__prefix__"), form_kwargs=self.row_kwargs
        ).management_form

    def empty_row(self):
        return RowFormSet(prefix=row_prefix("__task__"), form_kwargs=self.row_kwargs).empty_form


# ---------------------------------------------------------------------------- 报告正文


class PhoneField(forms.CharField):
    """联系电话: a landline with its area code or a mobile number (evaluations.parsing)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, required=False, **kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def to_python(self, value):
        try:
            return parse_phone(super().to_python(value))
        except InputError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


# The report step's metadata fields (not report sections: texts() leaves them out).
META_FIELDS = ("report_date", "signed_unit", "contact_name", "contact_phone")


class ReportForm(forms.Form):
    report_date = forms.DateField(
        label="报告日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的日期，例如 2023-06-14"},
        help_text="报告落款的日期，PDF 中写作“2023年6月14日”。",
    )
    signed_unit = forms.CharField(
        label="署名单位",
        max_length=200,
        required=False,
        help_text="报告落款的单位名称，默认为部门名称。",
    )
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = PhoneField(
        label="联系电话", help_text="座机请带区号，如 020-84981234；也可填手机号码。"
    )

    def __init__(self, *args, rubric, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = report_sections(rubric)
        for section in self.sections:
            if section.key in META_FIELDS:  # pragma: no cover - a rubric naming a section so
                raise ValueError(f"报告章节的键不能为 {section.key}")
            self.fields[section.key] = TextField(
                label=section.title,
                required=False,
                help_text=section.help,
                widget=_textarea(10),
                kind="section",
            )

    @staticmethod
    def initial_for(evaluation) -> dict:
        keys = {s.key for s in report_sections(evaluation.rubric.spec)}
        initial = {s.key: s.text for s in evaluation.sections.all() if s.key in keys}
        initial.update(
            report_date=evaluation.report_date,
            signed_unit=evaluation.signature_unit,
            contact_name=evaluation.contact_name,
            contact_phone=evaluation.contact_phone,
        )
        return initial

    def texts(self) -> dict[str, str]:
        return {
            key: value.strip() for key, value in self.cleaned_data.items() if key not in META_FIELDS
        }

    def meta(self) -> ReportMeta:
        d = self.cleaned_data
        return ReportMeta(
            report_date=d.get("report_date"),
            signed_unit=(d.get("signed_unit") or "").strip(),
            contact_name=(d.get("contact_name") or "").strip(),
            contact_phone=d.get("contact_phone") or "",
        )

    def meta_fields(self) -> list:
        return [self[name] for name in META_FIELDS]
