"""The filer's pages: home, the filing steps, submit and withdraw, the live figure preview.

Views are thin: read through selectors, write through services, score through the engine
(via evaluations.submission.review). Domain errors become page messages in `_service_error`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from rubric import engine, fmt
from rubric.methods import METHODS
from rubric.spec import InputGroup

from .. import access, comparison, feedback, pagecache, selectors, services, workflow
from ..access import Access, Action
from ..forms.filing import (
    BasicForm,
    DutyForms,
    FiguresForm,
    IndicatorForm,
    ReportForm,
    department_inputs,
    is_deleted,
)
from ..forms.projects import ProjectCreateForm
from ..models import Evaluation
from ..scoring import header_cells, header_table, line_key, scoring_input
from ..submission import ALL_STEP_KEYS, Review, review, steps_for
from ..workflow import Role
from . import autosave

# ---------------------------------------------------------------------------- home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    key = selectors.page_key_home(request.user)
    if selectors.home_is_review(request.user, key):
        return redirect("review:home")
    return pagecache.serve(request, key, lambda: _home(request))


def _home(request: HttpRequest, project_form: ProjectCreateForm | None = None) -> HttpResponse:
    targets = selectors.project_targets(request.user)
    if project_form is None and targets:
        project_form = ProjectCreateForm(targets=targets)
    today = timezone.localdate()
    rows = []
    for evaluation in selectors.home_evaluations(request.user):
        result = review(evaluation)
        deadline = evaluation.fiscal_year.deadline
        annotations: dict[str, list] = {}
        for a in evaluation.open_annotations:
            annotations.setdefault(a.target, []).append(a)
        rows.append(
            {
                "evaluation": evaluation,
                "notes": feedback.notes(evaluation, result.sheet, annotations),
                "claimed": result.sheet.totals.claimed,
                "blocking": len(result.blocking),
                "deadline": deadline,
                "days_left": (deadline - today).days if deadline else None,
                # home lists the user's own departments' evaluations only (the selector's scope), so
                # the user is their filer: no role query per evaluation
                "editable": Access(evaluation, frozenset({Role.FILER})).can(Action.EDIT),
                "started": evaluation.version > 1,
            }
        )
    departments = selectors.user_departments(request.user)
    return render(
        request,
        "filing/home.html",
        {"rows": rows, "departments": departments, "project_form": project_form},
    )


@login_required
@require_POST
def project_create(request: HttpRequest) -> HttpResponse:
    """新建项目支出自评 from the home page; on an error the home page again, the form filled in
    as typed and the message next to its field."""
    targets = selectors.project_targets(request.user)
    if not targets:
        messages.error(request, "你所在部门的年度均未设置项目支出评分体系，不能新建项目支出自评。")
        return redirect("filing:home")
    form = ProjectCreateForm(request.POST, targets=targets)
    if not form.is_valid():
        return _home(request, form)
    department, fiscal_year = form.chosen()
    try:
        evaluation = services.evaluation_create_project(
            actor=request.user,
            department=department,
            fiscal_year=fiscal_year,
            project=form.cleaned_data["project"],
        )
    except services.FieldInvalid as exc:
        form.add_error(exc.field, exc.message)
        return _home(request, form)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return _home(request, form)
    messages.success(request, f"已新建项目支出自评：{evaluation.project}。")
    return redirect("filing:start", evaluation.pk)


# ---------------------------------------------------------------------------- the steps


@dataclass
class Page:
    """Everything a step template needs besides its form."""

    evaluation: Evaluation
    roles: set[Role]
    review: Review
    step: str

    @property
    def access(self) -> Access:
        return Access(self.evaluation, frozenset(self.roles))

    @property
    def editable(self) -> bool:
        return self.access.can(Action.EDIT)


def _page(request: HttpRequest, pk: int, step: str) -> Page:
    if step not in ALL_STEP_KEYS:
        raise Http404("没有这个步骤")
    evaluation = selectors.evaluation_for_user(request.user, pk)
    if step not in {s.key for s in evaluation.rubric.spec.steps}:
        raise Http404("这份自评的评分体系没有这个步骤")
    return Page(evaluation, selectors.roles_for(request.user, evaluation), review(evaluation), step)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _next_url(pk: int, step: str, request: HttpRequest) -> str:
    goto = request.POST.get("goto", "")
    if goto not in ALL_STEP_KEYS:
        goto = step
    return reverse("filing:step", args=[pk, goto])


@login_required
def evaluation_start(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    return redirect("filing:step", evaluation.pk, evaluation.rubric.spec.steps[0].key)


@login_required
def step_view(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if request.method == "GET" and not autosave.is_autosave(request):
        key = selectors.page_key_evaluation(request.user, pk)
        return pagecache.serve(request, key, lambda: _step(request, pk, step))
    return _step(request, pk, step)


def _step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    page = _page(request, pk, step)
    handler = HANDLERS[step]
    if autosave.is_autosave(request):
        if step == "review":
            raise Http404("这一步没有可保存的内容")
        return autosave.step_autosave(request, page, handler, _version(request))
    if request.method == "POST":
        if not page.editable:
            messages.error(request, "这份自评当前不能修改。")
            return redirect("filing:step", pk, step)
        form = handler.bind(page.evaluation, request.POST)
        if not form.is_valid():
            messages.error(request, "有输入需要更正，内容尚未保存。请按页面上方的提示修改。")
            return _render(request, page, handler, form, status=200)
        try:
            handler.save(page.evaluation, form, request.user, _version(request))
        except services.StaleVersion as exc:
            messages.error(request, exc.message)
            return _render(request, page, handler, form, version=exc.current, stale=True)
        except services.ServiceError as exc:
            messages.error(request, exc.message)
            return _render(request, page, handler, form)
        title = next((st.title for st in page.evaluation.rubric.spec.steps if st.key == step), "")
        messages.success(request, f"“{title or handler.title}”已保存。")
        return redirect(_next_url(pk, step, request))
    form = handler.unbound(page.evaluation)
    return _render(request, page, handler, form)


def _forms_of(form) -> list:
    """The plain forms inside a step's form object (one, a list, or the 履职效能 set)."""
    if form is None:
        return []
    if isinstance(form, IndicatorForms):
        return list(form.forms)
    if isinstance(form, DutyForms):
        return [form.goal, *form.tasks.forms, *(f for rows in form.rows for f in rows.forms)]
    return [form]


def _render(request, page: Page, handler, form, *, version=None, stale=False, status=200):
    if not page.editable:
        # Read-only: the step's own fields are disabled one by one (not the whole fieldset),
        # so the reply boxes of the annotation threads beside them still work.
        for f in _forms_of(form):
            for field in f.fields.values():
                field.disabled = True
    steps = page.review.step_states()
    ordered = steps_for(page.review.sheet.rubric)
    index = [s.key for s in ordered].index(page.step)
    annotations = selectors.annotations_of(page.evaluation)
    notes = feedback.notes(page.evaluation, page.review.sheet, annotations)
    context: dict[str, Any] = {
        "page": page,
        "evaluation": page.evaluation,
        "review": page.review,
        "sheet": page.review.sheet,
        "steps": steps,
        "step": ordered[index],
        "previous_step": ordered[index - 1] if index > 0 else None,
        "next_step": ordered[index + 1] if index + 1 < len(ordered) else None,
        "form": form,
        "version": version if version is not None else page.evaluation.version,
        "stale": stale,
        "stale_changes": _stale_changes(form) if stale else [],
        "error_summary": _error_summary(form),
        "editable": page.editable,
        # a closed round past its deadline (no extension): why the filing is read-only
        "closed_message": access.deadline_refusal(page.evaluation)
        if page.evaluation.status in workflow.EDITABLE
        else None,
        "annotations": annotations,
        # the reviewer's open 批注 and 复核分, each with the place to act on it; per step for
        # the step list; the ones whose row has been deleted (所属指标已删除)
        "notes": notes,
        "note_counts": feedback.counts_by_step(notes),
        "orphan_annotations": feedback.orphaned_annotations(page.review.sheet, annotations),
        "deleted_reviewed": [n for n in notes if n.deleted and n.kind == "reviewed"],
        "evidence": selectors.evidence_of(page.evaluation),
        "evidence_codes": ["", *(leaf.code for leaf in page.review.sheet.rubric.leaves())],
        "evidence_max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
        "can_annotate": False,
        "can_reply": page.access.can(Action.REPLY),
        "access": page.access,
        # 从上一年度复制: targets only into a year without tasks of its own
        "previous": selectors.previous_evaluation(page.evaluation)
        if page.editable
        and (page.step == "basic" or (page.step == "duty" and not page.evaluation.tasks.all()))
        else None,
        "last_return": selectors.last_event(page.evaluation, "return")
        if page.evaluation.status == "returned"
        else None,
    }
    context.update(handler.context(page, form))
    return render(request, f"filing/step_{page.step}.html", context, status=status)


def _form_errors(form, label_prefix: str = "") -> list[tuple[str, str, str]]:
    out = []
    for name, errors in form.errors.items():
        if name == "__all__":
            out.extend(("", label_prefix.rstrip("·") or "表单", str(e)) for e in errors)
            continue
        bound = form[name]
        for e in errors:
            out.append((bound.auto_id, f"{label_prefix}{bound.label}", str(e)))
    return out


def _error_summary(form) -> list[tuple[str, str, str]]:
    """(anchor, label, message) for every error of a step's form(s), for the summary on top."""
    if form is None or not getattr(form, "is_bound", True):
        return []
    if isinstance(form, IndicatorForms):
        return [
            e
            for f in form.forms
            for e in _form_errors(f, f"{f.indicator.code} {f.indicator.name}·")
        ]
    if isinstance(form, DutyForms):
        if not form.tasks.is_bound:
            return []
        out = _form_errors(form.goal)
        out += [("tasks", "任务", str(e)) for e in form.tasks.non_form_errors()]
        for t, (task_form, rows) in enumerate(form.pairs, start=1):
            if is_deleted(form.tasks, task_form):
                continue
            out += _form_errors(task_form, f"任务{t}·")
            out += [("tasks", f"任务{t}", str(e)) for e in rows.non_form_errors()]
            for i, row_form in enumerate(rows.forms, start=1):
                if not is_deleted(rows, row_form):
                    out += _form_errors(row_form, f"任务{t}指标{i}·")
        return out
    return _form_errors(form)


def _stale_changes(form) -> list[tuple[str, Any]]:
    """For a refused stale save of a flat form: the fields where what the user typed differs
    from what is stored now (the form's initial is the stored state)."""
    if not hasattr(form, "changed_data"):
        return []
    return [(form.fields[name].label, form.initial.get(name)) for name in form.changed_data]


class BasicStep:
    title = "基本情况"

    def unbound(self, evaluation):
        return BasicForm(initial=BasicForm.initial_for(evaluation), rubric=evaluation.rubric.spec)

    def bind(self, evaluation, data):
        return BasicForm(
            data, initial=BasicForm.initial_for(evaluation), rubric=evaluation.rubric.spec
        )

    def save(self, evaluation, form, user, version):
        services.evaluation_save_basic(
            evaluation.pk,
            user,
            version,
            department=form.department_values(),
            sections=form.section_texts(),
        )

    def context(self, page, form):
        return {}


class FiguresStep:
    title = "收支数据"

    def unbound(self, evaluation):
        return FiguresForm(
            initial=FiguresForm.initial_for(evaluation), rubric=evaluation.rubric.spec
        )

    def bind(self, evaluation, data):
        return FiguresForm(
            data, initial=FiguresForm.initial_for(evaluation), rubric=evaluation.rubric.spec
        )

    def save(self, evaluation, form, user, version):
        services.evaluation_save_figures(evaluation.pk, user, version, values=form.cleaned_data)

    def context(self, page, form):
        notes = {f.key: f.note for f in page.evaluation.figures.all() if f.note}
        rubric = page.evaluation.rubric.spec
        values = page.review.sheet.values
        entered = department_inputs(rubric)
        shown = [i for i in rubric.inputs if i not in entered]  # finance bureau's, derived
        groups = []
        known = {g.key for g in rubric.input_groups}
        all_groups = [*rubric.input_groups]
        if any(i.group not in known for i in rubric.inputs):
            all_groups.append(InputGroup("", "其他数据"))
        for group in all_groups:
            figs = [
                f
                for f in entered
                if f.group == group.key or (not group.key and f.group not in known)
            ]
            readonly = [
                f for f in shown if f.group == group.key or (not group.key and f.group not in known)
            ]
            if not figs and not readonly:
                continue
            groups.append(
                {
                    "group": group,
                    "fields": [(form[f.key], f, notes.get(f.key, "")) for f in figs],
                    "readonly": [
                        (f, fmt.input_value(f, values.get(f.key)), notes.get(f.key, ""))
                        for f in readonly
                    ],
                }
            )
        return {
            "groups": groups,
            "header": header_table(page.review.sheet),
            "formula_lines": _formula_lines(page.review.sheet),
        }


def _formula_lines(sheet):
    """The leaves whose score follows from the figures (shown live on the figures step)."""
    return [
        ln
        for ln in sheet.lines
        if ln.is_leaf
        and ln.indicator is not None
        and METHODS[ln.method].inputs(ln.indicator.params)
    ]


class ManagementStep:
    title = "评分指标"

    def _leaves(self, evaluation):
        spec = evaluation.rubric.spec
        return [leaf for leaf in spec.leaves() if leaf.method != "target_rows"]

    def _forms(self, evaluation, data=None):
        answers = {a.code: a for a in evaluation.answers.all()}
        forms = []
        for leaf in self._leaves(evaluation):
            kwargs = {
                "indicator": leaf,
                "minimum": METHODS[leaf.method].min_score(leaf),
                "initial": IndicatorForm.initial_for(answers.get(leaf.code)),
            }
            forms.append(
                IndicatorForm(data, **kwargs) if data is not None else IndicatorForm(**kwargs)
            )
        return IndicatorForms(forms)

    def unbound(self, evaluation):
        return self._forms(evaluation)

    def bind(self, evaluation, data):
        return self._forms(evaluation, data)

    def save(self, evaluation, form, user, version):
        answers = {f.indicator.code: f.answer() for f in form.forms}
        services.evaluation_save_answers(evaluation.pk, user, version, answers=answers)

    def context(self, page, form):
        sheet = page.review.sheet
        lines = {ln.code: ln for ln in sheet.lines}
        by_form = {f.indicator.code: f for f in form.forms}
        groups = []
        for top in sheet.rubric.indicators:
            if top.is_leaf and top.method == "target_rows":
                continue
            sections = []
            for child in top.children or (top,):
                leaves = [n for n in child.walk() if n.is_leaf]
                sections.append(
                    {
                        "node": child,
                        "line": lines[child.code],
                        "items": [
                            (by_form[n.code], lines[n.code]) for n in leaves if n.code in by_form
                        ],
                    }
                )
            groups.append({"node": top, "line": lines[top.code], "sections": sections})
        return {"groups": groups}


class IndicatorForms:
    """A list of IndicatorForm that validates as one."""

    def __init__(self, forms):
        self.forms = forms

    def is_valid(self) -> bool:
        return all([f.is_valid() for f in self.forms])

    def error_count(self) -> int:
        return sum(len(f.errors) for f in self.forms)


class DutyStep:
    title = "绩效指标"  # the rubric's step title is shown; this is the fallback

    def unbound(self, evaluation):
        return DutyForms(evaluation=evaluation)

    def bind(self, evaluation, data):
        return DutyForms(data, rubric=evaluation.rubric.spec)

    def save(self, evaluation, form, user, version):
        goal = form.goal.cleaned_data
        try:
            services.evaluation_save_duty(
                evaluation.pk,
                user,
                version,
                overall_goal=goal["overall_goal"].strip(),
                goal_completion=goal["goal_completion"].strip(),
                goal_shortfall_reason=goal["goal_shortfall_reason"].strip(),
                tasks=form.task_inputs(),
            )
        except services.FieldInvalid as exc:
            _row_field_error(form, exc)
            raise

    def context(self, page, form):
        sheet = page.review.sheet
        leaf = sheet.rubric.leaf_with_method("target_rows")
        duty_line = sheet.line(leaf.code) if leaf else None
        # Scores are shown beside the saved rows only; after a refused save the rows on the
        # page may no longer match the saved ones.
        lines = {} if form.tasks.is_bound or leaf is None else {ln.code: ln for ln in sheet.lines}
        # 复核分 and 批注 follow the row's id (carried by its form), shown even after a refused
        # save, since the id, unlike the position, still names the same row.
        rows_by_key = {line_key(ln): ln for ln in sheet.lines if ln.row is not None}
        reviewed = {r.code: r for r in page.evaluation.reviewed_scores.all()}
        blocks = []
        # task lines are numbered within their section (2.1, 2.2 … and 3.1 …)
        first = form.sections[0].code if form.sections else ""
        counts: dict[str, int] = {}
        for task_form, rows in form.pairs:
            section = (task_form["section"].value() or first) if form.sections else ""
            counts[section] = t = counts.get(section, 0) + 1
            row_pairs = []
            for row_form in rows.forms:
                key = _row_key(row_form)
                line = rows_by_key.get(key) if lines else None
                row_pairs.append((row_form, line, key, reviewed.get(key) if key else None))
            blocks.append(
                {
                    "task_form": task_form,
                    "rows": rows,
                    "task_line": lines.get(f"{section}.{t}") if section else None,
                    "row_pairs": row_pairs,
                }
            )
        approved = {
            r.pk: r.approved_target
            for t in page.evaluation.tasks.all()
            for r in t.rows.all()
            if r.approved_target
        }
        for block in blocks:
            for row_form, *_ in block["row_pairs"]:
                _mark_approved(row_form, approved)
        section_lines = [(s, sheet.line(s.code)) for s in form.sections]
        return {
            "duty_leaf": leaf,
            "duty_line": duty_line,
            "task_blocks": blocks,
            "section_lines": section_lines,
            "sections_points": sum((s.points for s in form.sections), Decimal(0)),
        }


def _row_id(row_form) -> int | None:
    key = _row_key(row_form)
    return int(key.split(":")[1]) if key else None


def _row_field_error(form, exc) -> None:
    """A service refusal about one row's field (`row:<id>:<field>`): shown next to that field
    of that row's form (and so in the error summary)."""
    parts = exc.field.split(":")
    if len(parts) != 3 or parts[0] != "row":
        return
    for rows in form.rows:
        for row_form in rows.forms:
            if str(_row_id(row_form)) == parts[1] and parts[2] in row_form.fields:
                row_form.add_error(parts[2], exc.message)
                return


def _mark_approved(row_form, approved: dict) -> None:
    """For a row declared in the approved 绩效目标申报: its approved target and points (shown
    beside it) and whether the values on the page differ (then the reason field is shown)."""
    from types import SimpleNamespace

    from ..services.declaration import APPROVED_FIELDS, change_summary, target_changes

    baseline = approved.get(_row_id(row_form))
    row_form.approved = baseline
    if not baseline:
        return
    now = SimpleNamespace(**{n: row_form[n].value() for n in APPROVED_FIELDS})
    changes = target_changes(baseline, now)
    row_form.approved_json = json.dumps(baseline, ensure_ascii=False)
    row_form.approved_summary = _approved_summary(baseline)
    row_form.target_changed = bool(
        changes
        or row_form["target_change_reason"].value()
        or row_form.errors.get("target_change_reason")
    )
    row_form.change_summary = change_summary(changes)


def _approved_summary(baseline: dict) -> str:
    from ..services.declaration import _shown

    target = baseline.get("target_text") or ""
    numbers = ""
    if baseline.get("target_value") not in (None, ""):
        numbers = (
            f"{_shown('operator', baseline.get('operator'))}"
            f"{_shown('target_value', baseline['target_value'])}{baseline.get('unit') or ''}"
        )
    parts = [p for p in (target, numbers) if p]
    parts.append(f"分值{_shown('points', baseline.get('points'))}")
    return "，".join(parts)


def _row_key(row_form) -> str:
    """The stable key (row:<id>) of the saved row a 履职效能 row form edits; "" for a new one."""
    value = row_form["id"].value() if row_form.is_bound else row_form.initial.get("id")
    try:
        return f"row:{int(value)}" if value not in (None, "") else ""
    except (TypeError, ValueError):
        return ""


class ReportStep:
    title = "报告正文"

    def unbound(self, evaluation):
        return ReportForm(initial=ReportForm.initial_for(evaluation), rubric=evaluation.rubric.spec)

    def bind(self, evaluation, data):
        return ReportForm(
            data, initial=ReportForm.initial_for(evaluation), rubric=evaluation.rubric.spec
        )

    def save(self, evaluation, form, user, version):
        services.evaluation_save_sections(
            evaluation.pk, user, version, texts=form.texts(), meta=form.meta()
        )

    def context(self, page, form):
        chapters: dict[str, list] = {}
        for section in form.sections:
            chapters.setdefault(section.chapter, []).append((section, form[section.key]))
        return {"chapters": chapters.items(), "meta_fields": form.meta_fields()}


class ReviewStep:
    title = "核对与提交"

    def unbound(self, evaluation):
        return None

    def bind(self, evaluation, data):
        raise Http404

    def save(self, evaluation, form, user, version):  # pragma: no cover - never bound
        raise Http404

    def context(self, page, form):
        return {
            "header": header_table(page.review.sheet),
            # last year's scores and headline figures beside this year's (computed per request)
            "previous": comparison.previous_year(page.evaluation, page.review.sheet),
            "can_submit": page.access.can(Action.SUBMIT),
            "can_withdraw": page.access.can(Action.WITHDRAW),
        }


HANDLERS = {
    "basic": BasicStep(),
    "figures": FiguresStep(),
    "management": ManagementStep(),
    "duty": DutyStep(),
    "report": ReportStep(),
    "review": ReviewStep(),
}


# ---------------------------------------------------------------------------- transitions


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    try:
        services.evaluation_submit(evaluation.pk, request.user, _version(request))
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("filing:step", pk, "review")
    messages.success(request, "已提交。审核人处理前，你可以撤回后继续修改。")
    return redirect("filing:step", pk, "review")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    try:
        services.evaluation_withdraw(evaluation.pk, request.user)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤回，可继续修改后重新提交。")
    return redirect("filing:step", pk, "review")


# ---------------------------------------------------------------------------- annotations


@login_required
@require_POST
def annotation_reply(request: HttpRequest, pk: int, annotation_id: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    try:
        services.annotation_reply(
            evaluation.pk, annotation_id, request.user, text=request.POST.get("text", "")
        )
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "回复已发送。")
    return redirect(_safe_next(request, evaluation.pk))


@login_required
@require_POST
def annotation_resolve(request: HttpRequest, pk: int, annotation_id: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    resolved = request.POST.get("resolved", "1") == "1"
    try:
        services.annotation_resolve(evaluation.pk, annotation_id, request.user, resolved=resolved)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已标记为已解决。" if resolved else "已重新打开该批注。")
    return redirect(_safe_next(request, evaluation.pk))


def _safe_next(request: HttpRequest, pk: int) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse("filing:step", args=[pk, "review"])


# ---------------------------------------------------------------------------- live preview


@login_required
@require_POST
def figures_preview(request: HttpRequest, pk: int) -> JsonResponse:
    """The rates and formula scores for figures as typed (not saved), by the same engine."""
    evaluation = selectors.evaluation_for_user(request.user, pk)
    form = FiguresForm(request.POST, rubric=evaluation.rubric.spec)
    form.is_valid()
    typed = {key: value for key, value in form.cleaned_data.items()}
    base = scoring_input(evaluation)
    figures = {**base.figures, **typed}
    for key in form.errors:
        figures[key] = None
    rubric = evaluation.rubric.spec
    sheet = engine.score(rubric, replace(base, figures=figures))
    return JsonResponse(
        {
            # every cell of the header table by id (data-rate in the page): amounts and rates
            "rates": header_cells(sheet),
            "lines": {
                ln.code: {
                    "computed": None if ln.computed is None else f"{ln.computed:.2f}",
                    "basis": ln.basis or "；".join(w.message for w in ln.warnings),
                }
                for ln in _formula_lines(sheet)
            },
            "errors": {key: [str(e) for e in errs] for key, errs in form.errors.items()},
        }
    )
