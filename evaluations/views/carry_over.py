"""从上一年度复制: the button on the 基本情况 and 履职效能 steps (services.carry_over)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..services.carry_over import CARRY_STEPS
from .filing import _version


@login_required
@require_POST
def copy_previous(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    if step not in CARRY_STEPS:
        messages.error(request, "这一步没有可从上一年度复制的内容。")
        return redirect("filing:start", evaluation.pk)
    try:
        services.evaluation_copy_previous(evaluation.pk, request.user, _version(request), step=step)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        what = "基本情况" if step == "basic" else "绩效目标和指标（实际完成值请按本年度填写）"
        messages.success(request, f"已从上一年度复制{what}。")
    return redirect("filing:step", evaluation.pk, step)
