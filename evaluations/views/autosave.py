"""Autosave of a filing step (static/js/autosave.js posts the step form to the step's own URL
with the header X-Autosave: 1): the step's own form and service, as a save, answered in JSON — the new version, the ids of rows the save created, the field errors
by input name, or the version conflict. Nothing here bypasses the step's checks."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from .. import services
from ..forms.filing import DutyForms
from ..models import Evaluation


def _errors(form) -> dict[str, list[str]]:
    """Every error of a step's form(s), keyed by the input's name in the page (`__all__` for
    errors of no one field)."""
    from .filing import _forms_of  # the step view's module imports this one

    out: dict[str, list[str]] = {}
    forms = _forms_of(form)
    if isinstance(form, DutyForms):
        forms += [form.tasks, *form.rows]
    for f in forms:
        if hasattr(f, "non_form_errors"):  # a formset: its own errors
            if f.non_form_errors():
                out.setdefault("__all__", []).extend(str(e) for e in f.non_form_errors())
            continue
        for name, errors in f.errors.items():
            key = "__all__" if name == "__all__" else f.add_prefix(name)
            out.setdefault(key, []).extend(str(e) for e in errors)
    return out


def _duty_ids(form: DutyForms, evaluation: Evaluation) -> dict[str, int]:
    """The hidden id inputs of the tasks and rows on the page, filled with what the save
    stored: a row typed as new is the saved row from now on, never saved twice."""
    tasks = list(evaluation.tasks.filter(deleted_at__isnull=True).order_by("position", "pk"))
    index = {id(f): i for i, f in enumerate(form.tasks.forms)}
    ids: dict[str, int] = {}
    for task_form, task in zip(form.tasks.ordered_forms, tasks, strict=False):
        ids[task_form.add_prefix("id")] = task.pk
        rows_formset = form.rows[index[id(task_form)]]
        saved_rows = list(task.rows.filter(deleted_at__isnull=True).order_by("position", "pk"))
        for row_form, row in zip(rows_formset.ordered_forms, saved_rows, strict=False):
            ids[row_form.add_prefix("id")] = row.pk
    return ids


def is_autosave(request: HttpRequest) -> bool:
    return request.method == "POST" and request.headers.get("X-Autosave") == "1"


def step_autosave(request: HttpRequest, page, handler, version: int) -> JsonResponse:
    """`page` and `handler` are the step view's (evaluations.views.filing)."""
    if not page.editable:
        return JsonResponse({"ok": False, "message": "这份自评当前不能修改。"}, status=403)
    form = handler.bind(page.evaluation, request.POST)
    if not form.is_valid():
        return JsonResponse(
            {"ok": False, "message": "保存失败，请检查标出的栏目。", "errors": _errors(form)},
            status=400,
        )
    try:
        handler.save(page.evaluation, form, request.user, version)
    except services.StaleVersion as exc:
        return JsonResponse(
            {"ok": False, "stale": True, "version": exc.current, "message": exc.message},
            status=409,
        )
    except services.FieldInvalid as exc:
        errors = {"__all__": [exc.message]}
        return JsonResponse({"ok": False, "message": exc.message, "errors": errors}, status=400)
    except services.ServiceError as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=400)
    evaluation = Evaluation.objects.get(pk=page.evaluation.pk)
    body: dict = {
        "ok": True,
        "version": evaluation.version,
        "saved_at": timezone.localtime(evaluation.updated_at).strftime("%H:%M"),
        "claimed_total": None
        if evaluation.claimed_total is None
        else f"{evaluation.claimed_total:.2f}",
        "ids": _duty_ids(form, evaluation) if isinstance(form, DutyForms) else {},
    }
    return JsonResponse(body)
