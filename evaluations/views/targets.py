"""绩效目标申报: the filer's page (declare the goal, tasks and rows; save; submit for
approval) and the reviewer's approve/return actions on the review page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..access import Action, evaluation_with_access
from ..forms.declaration import DeclarationForms
from ..services.declaration import declaration_problems
from ..workflow import TRANSITIONS
from .filing import _error_summary, _forms_of


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


@login_required
def targets(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, access = evaluation_with_access(request.user, pk, for_scoring=False)
    declaration = selectors.declaration_of(evaluation)
    if request.method == "POST":
        if not access.can(Action.DECLARE_EDIT):
            messages.error(request, "绩效目标申报当前不能修改。")
            return redirect("filing:targets", pk)
        form = DeclarationForms(request.POST, evaluation=evaluation)
        if not form.is_valid():
            messages.error(request, "有输入需要更正，内容尚未保存。请按页面上方的提示修改。")
            return _render(request, evaluation, access, declaration, form)
        goal = form.goal.cleaned_data["overall_goal"].strip()
        try:
            saved = services.declaration_save(
                pk, request.user, _version(request), overall_goal=goal, tasks=form.task_inputs()
            )
        except services.StaleVersion as exc:
            messages.error(request, exc.message)
            return _render(request, evaluation, access, declaration, form, version=exc.current)
        except services.ServiceError as exc:
            messages.error(request, exc.message)
            return _render(request, evaluation, access, declaration, form)
        if "submit" not in request.POST:
            messages.success(request, "绩效目标申报已保存。")
            return redirect("filing:targets", pk)
        try:
            services.declaration_submit(pk, request.user, saved.version)
        except services.ServiceError as exc:
            messages.error(request, f"已保存，但未提交：{exc.message}")
        else:
            messages.success(request, "绩效目标申报已提交，等待财政局批复。")
        return redirect("filing:targets", pk)
    form = DeclarationForms(evaluation=evaluation, declaration=declaration)
    return _render(request, evaluation, access, declaration, form)


def _render(request, evaluation, access, declaration, form, *, version=None):
    editable = access.can(Action.DECLARE_EDIT)
    if not editable:
        for f in _forms_of(form):
            for field in f.fields.values():
                field.disabled = True
    sections = form.sections
    last_return = None
    if declaration is not None and declaration.status == "returned":
        last_return = evaluation.events.filter(action="declare_return").order_by("-at").first()
    return render(
        request,
        "filing/targets.html",
        {
            "evaluation": evaluation,
            "access": access,
            "declaration": declaration,
            "status_label": declaration.status_label if declaration else "未填写",
            "form": form,
            "editable": editable,
            "version": version
            if version is not None
            else (declaration.version if declaration else 1),
            "error_summary": _error_summary(form),
            "problems": declaration_problems(evaluation, declaration) if declaration else [],
            "task_blocks": [{"task_form": t, "rows": rows} for t, rows in form.pairs],
            "sections_points": sum((s.points for s in sections), 0),
            "last_return": last_return,
            "duty_title": next(
                (s.title for s in evaluation.rubric.spec.steps if s.key == "duty"), "绩效指标"
            ),
        },
    )


REVIEW_ACTIONS = {
    "approve": ("declare_approve", "绩效目标申报已批复，批复的目标已转为自评的指标行。"),
    "return": ("declare_return", "绩效目标申报已退回，填报人可修改后重新提交。"),
}


@login_required
@require_POST
def review_declaration(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in REVIEW_ACTIONS:
        raise Http404
    evaluation, _ = evaluation_with_access(request.user, pk, need=Action.REVIEW_PAGE)
    name, done = REVIEW_ACTIONS[action]
    comment = request.POST.get("comment", "")
    service = (
        services.declaration_approve if name == "declare_approve" else services.declaration_return
    )
    try:
        service(evaluation.pk, request.user, comment)
    except services.ServiceError as exc:
        messages.error(request, f"{TRANSITIONS[name].label}未成功：{exc.message}")
    else:
        messages.success(request, done)
    return redirect(reverse("review:evaluation", args=[pk]) + "#declaration")
