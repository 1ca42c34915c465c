"""The finance bureau's yearly round: 开启年度评价 (and adding departments to an open round),
延期 for one department, 催办 of the departments selected on the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import access, selectors, services
from ..access import Action, evaluation_with_access
from ..forms.rounds import ExtensionForm, RoundOpenForm
from ..models import FiscalYear
from ..services.reminders import reminders_send_manual
from ..services.rounds import extension_grant, round_open
from .review import dashboard_selection


def _region(request: HttpRequest, region_code: str):
    region = selectors.region_for_user(request.user, region_code)
    try:
        access.require_round(request.user, region)
    except services.NotFound as exc:
        raise Http404(exc.message) from exc
    return region


@login_required
def round_open_page(request: HttpRequest, region_code: str) -> HttpResponse:
    region = _region(request, region_code)
    years = FiscalYear.objects.filter(region=region).select_related("rubric").order_by("-year")
    latest = years.first()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    current = next((fy for fy in years if fy.year == year), None) if year else None
    if request.method == "POST":
        form = RoundOpenForm(request.POST, region=region)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = round_open(
                    actor=request.user,
                    region=region,
                    year=data["year"],
                    rubric=data["rubric"],
                    deadline=data["deadline"],
                    departments=data["departments"] if data["scope"] == "selected" else None,
                    remind_days_before=data["remind_days_before"],
                )
            except services.FieldInvalid as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            except services.ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, result.summary)
                return redirect("review:dashboard", region.code, result.fiscal_year.year)
    else:
        base = current or latest
        initial = {"scope": "all", "remind_days_before": 7}
        if current is not None:
            initial |= {
                "year": current.year,
                "rubric": current.rubric_id,
                "deadline": current.deadline,
                "remind_days_before": current.remind_days_before,
                "scope": "selected",
                "departments": list(selectors.departments_without_evaluation(current)),
            }
        elif base is not None:
            initial |= {"year": base.year + 1, "rubric": base.rubric_id}
        form = RoundOpenForm(initial=initial, region=region)
    have = (
        set(current.evaluations.filter(project="").values_list("department_id", flat=True))
        if current
        else set()
    )
    return render(
        request,
        "review/round_open.html",
        {
            "region": region,
            "form": form,
            "current": current,
            "latest": latest,
            "have": have,
        },
    )


@login_required
@require_POST
def remind(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    region = _region(request, region_code)
    try:
        fy = FiscalYear.objects.select_related("region").get(region=region, year=year)
    except FiscalYear.DoesNotExist as exc:
        raise Http404("该区域没有这个年度") from exc
    ids, _filters = dashboard_selection(
        request, fy
    )  # the dashboard's selection: ticked, or the filter
    if not ids:
        messages.error(request, "请先勾选要催办的部门。")
    else:
        outcome = reminders_send_manual(actor=request.user, fiscal_year=fy, evaluation_ids=ids)
        (messages.success if outcome.sent else messages.warning)(request, outcome.summary)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("review:dashboard", region.code, fy.year)


@login_required
def extension_page(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, _access = evaluation_with_access(
        request.user, pk, for_scoring=False, need=Action.REVIEW_PAGE
    )
    fy = evaluation.fiscal_year
    if request.method == "POST":
        form = ExtensionForm(request.POST)
        if form.is_valid():
            try:
                extension = extension_grant(
                    actor=request.user,
                    fiscal_year=fy,
                    department=evaluation.department,
                    until=form.cleaned_data["until"],
                    reason=form.cleaned_data["reason"],
                )
            except services.FieldInvalid as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            except services.NotFound as exc:
                raise Http404(exc.message) from exc
            else:
                messages.success(
                    request,
                    f"已为{evaluation.department.name}延期至{extension.until:%Y-%m-%d}。",
                )
                return redirect("review:dashboard", fy.region.code, fy.year)
    else:
        form = ExtensionForm()
    return render(
        request,
        "review/extension.html",
        {
            "evaluation": evaluation,
            "fy": fy,
            "form": form,
            "extensions": fy.extensions.filter(department=evaluation.department).select_related(
                "granted_by"
            ),
            "closed": access.deadline_refusal(evaluation) is not None,
        },
    )
