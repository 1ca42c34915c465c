"""Issue 15 items 1 and 4: every service that stores text refuses control characters (a NUL
gave HTTP 500 on PostgreSQL) and over-long text with the project's validation error, whether
called from a form or directly; the dashboard search strips them. Property tests (hypothesis)
call the service entry points with arbitrary text: nothing but a ServiceError may come out."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluations import services
from evaluations.feedback import places
from evaluations.forms.filing import ReportForm, RowForm, TaskForm
from evaluations.models import Annotation, BonusEvent, Evaluation, FiscalYear, ReportSection
from evaluations.scoring import score_evaluation
from evaluations.selectors import evaluations_for_scoring
from evaluations.services.text import LIMITS, checked

from .conftest import make_submittable
from .helpers import client_for

BAD = ["含\x00空字符", "\x07响铃", "换页\x0c", "\x1b[31m", "删除\x7f", "C1\x85", "孤\ud800"]


def _submitted(evaluation, users) -> Evaluation:
    make_submittable(evaluation, users["filer"])
    evaluation.refresh_from_db()
    services.evaluation_submit(evaluation.pk, users["filer"], evaluation.version)
    evaluation.refresh_from_db()
    return evaluation


def _target(evaluation) -> str:
    sheet = score_evaluation(evaluations_for_scoring().get(pk=evaluation.pk))
    return sorted(places(sheet))[0]


def _calls(evaluation, users):
    """Every service entry point that stores a user's text: name -> call(text)."""
    filer, reviewer = users["filer"], users["reviewer"]

    def version():
        return Evaluation.objects.get(pk=evaluation.pk).version

    def reply(text):
        first = Annotation.objects.filter(evaluation=evaluation, parent=None).first()
        if first is None:
            first = services.annotation_add(
                evaluation.pk, reviewer, target=_target(evaluation), label="x", text="批注"
            )
        return services.annotation_reply(evaluation.pk, first.pk, filer, text=text)

    return {
        "annotation": lambda text: services.annotation_add(
            evaluation.pk, reviewer, target=_target(evaluation), label="x", text=text
        ),
        "reply": reply,
        "reviewed_reason": lambda text: services.evaluation_set_reviewed(
            evaluation.pk, reviewer, code="1.1.1", score=Decimal(1), reason=text
        ),
        "event": lambda text: services.evaluation_set_notified(
            evaluation.pk, reviewer, values={}, events=[services.EventInput("bonus", text)]
        ),
        "return_comment": lambda text: services.evaluation_return(evaluation.pk, reviewer, text),
        "approve_comment": lambda text: services.evaluation_approve(evaluation.pk, reviewer, text),
    }


def _filer_calls(evaluation, users):
    filer = users["filer"]
    key = next(iter(evaluation.rubric.spec.report.sections)).key
    # the year takes 项目支出 evaluations (under the same rubric, enough for the project name)
    FiscalYear.objects.filter(pk=evaluation.fiscal_year_id).update(project_rubric=evaluation.rubric)
    year = FiscalYear.objects.get(pk=evaluation.fiscal_year_id)

    def version():
        return Evaluation.objects.get(pk=evaluation.pk).version

    basic_key = next(s.key for s in evaluation.rubric.spec.report.sections if s.step == "basic")

    def json_import(text):
        from evaluations import transfer
        from evaluations.services.transfer import evaluation_import

        data = transfer.export_data(evaluations_for_scoring().get(pk=evaluation.pk))
        data["sections"][key] = text
        data["goals"]["goal_completion"] = text
        return evaluation_import(data, actor=filer)

    return {
        "basic": lambda text: services.evaluation_save_basic(
            evaluation.pk, filer, version(), department={}, sections={basic_key: text}
        ),
        "json_import": json_import,
        "section": lambda text: services.evaluation_save_sections(
            evaluation.pk, filer, version(), texts={key: text}
        ),
        "answer_reason": lambda text: services.evaluation_save_answers(
            evaluation.pk,
            filer,
            version(),
            answers={"1.1.1": services.AnswerInput(reason=text, note=text)},
        ),
        "duty": lambda text: services.evaluation_save_duty(
            evaluation.pk,
            filer,
            version(),
            overall_goal=text,
            goal_completion="",
            goal_shortfall_reason="",
            tasks=[
                services.TaskInput(
                    name=text[:300] or "任务",
                    rows=(services.RowInput(name=text[:300] or "指标", points=Decimal(1)),),
                )
            ],
        ),
        "project": lambda text: services.evaluation_create_project(
            actor=filer,
            department=evaluation.department,
            fiscal_year=year,
            project=text,
        ),
    }


REVIEW_CALLS = ("annotation", "reply", "reviewed_reason", "event", "return_comment")
FILER_CALLS = ("basic", "json_import", "section", "answer_reason", "duty", "project")


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("name", (*REVIEW_CALLS, "approve_comment"))
def test_review_services_refuse_control_characters(media, users, seed_eval, name, bad):
    evaluation = _submitted(seed_eval, users)
    before = (
        BonusEvent.objects.count(),
        Annotation.objects.filter(text__startswith="正常文字").count(),
        evaluation.status,
    )
    with pytest.raises(services.ServiceError, match="控制字符"):
        _calls(evaluation, users)[name](f"正常文字{bad}")
    evaluation.refresh_from_db()
    assert (
        BonusEvent.objects.count(),
        Annotation.objects.filter(text__startswith="正常文字").count(),
        evaluation.status,
    ) == before


@pytest.mark.parametrize("bad", BAD[:3])
@pytest.mark.parametrize("name", FILER_CALLS)
def test_filer_services_refuse_control_characters(media, users, seed_eval, name, bad):
    with pytest.raises(services.ServiceError, match="控制字符"):
        _filer_calls(seed_eval, users)[name](f"正常文字{bad}")
    assert not ReportSection.objects.filter(text__contains="正常文字").exists()


@pytest.mark.parametrize(
    ("name", "kind"),
    [("annotation", "annotation"), ("reviewed_reason", "reviewed_reason"), ("event", "event")],
)
def test_review_services_refuse_over_long_text(media, users, seed_eval, name, kind):
    evaluation = _submitted(seed_eval, users)
    limit = LIMITS[kind].max_length
    with pytest.raises(services.ServiceError, match=f"过长.*最多 {limit} 个字符"):
        _calls(evaluation, users)[name]("长" * (limit + 1))


def test_a_section_of_the_limit_saves_and_one_more_character_is_refused(media, users, seed_eval):
    save = _filer_calls(seed_eval, users)["section"]
    limit = LIMITS["section"].max_length
    save("字" * limit)
    with pytest.raises(services.FieldInvalid, match=f"最多 {limit} 个字符") as info:
        save("字" * (limit + 1))
    key = next(iter(seed_eval.rubric.spec.report.sections)).key
    assert info.value.field == key
    assert len(ReportSection.objects.get(evaluation=seed_eval, key=key).text) == limit


def test_the_rule_lets_ordinary_text_through():
    text = "第一行\n第二行\t制表　全角空格，𠀀扩展字（“引号”）"
    assert checked(text, "note") == text
    assert checked(None, "note") == ""


# ---------------------------------------------------------------------------- forms


def test_forms_show_the_same_rule_next_to_the_field(seed_eval):
    rubric = seed_eval.rubric.spec
    key = next(s.key for s in rubric.report.sections if s.step == "report")
    form = ReportForm({key: "报告\x00正文"}, rubric=rubric)
    assert not form.is_valid()
    assert "控制字符" in form.errors[key][0]
    form = ReportForm({key: "字" * (LIMITS["section"].max_length + 1)}, rubric=rubric)
    assert not form.is_valid() and "最多 10000 个字符" in form.errors[key][0]
    assert form[key].value().startswith("字")  # what was typed is kept
    task = TaskForm({"name": "任务\x1b"})
    assert not task.is_valid() and "控制字符" in task.errors["name"][0]
    row = RowForm({"name": "指标", "points": "1", "operator": ">=", "note": "x" * 2001})
    assert not row.is_valid() and "备注过长" in row.errors["note"][0]


# ---------------------------------------------------------------------------- views


def test_dashboard_search_with_control_characters_answers(media, users, seed_eval):
    client = client_for(users["reviewer"])
    url = reverse("review:dashboard", args=["nansha", 2022])
    response = client.get(url, {"q": "南沙区\x00委员会"})
    assert response.status_code == 200
    assert seed_eval.department.name in response.content.decode()


def test_a_nul_in_a_return_comment_is_a_message_not_a_500(media, users, seed_eval):
    evaluation = _submitted(seed_eval, users)
    client = client_for(users["reviewer"])
    client.raise_request_exception = False
    response = client.post(
        reverse("review:transition", args=[evaluation.pk, "return"]),
        {"comment": "请修改\x00"},
        follow=True,
    )
    assert response.status_code == 200
    assert "控制字符" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.status == "submitted"


# ---------------------------------------------------------------------------- properties

ANY = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
LONG = st.integers(0, 12_000).map(lambda n: "长" * n)
TEXTS = st.one_of(ANY, LONG, ANY.map(lambda s: s + "\x00"))
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("name", REVIEW_CALLS)
def test_review_services_with_arbitrary_text(media, users, seed_eval, name):
    evaluation = _submitted(seed_eval, users)
    call = _calls(evaluation, users)[name]

    @PROPERTY
    @given(TEXTS)
    def run(text):
        with contextlib.suppress(services.ServiceError):
            call(text)
        if name == "return_comment":  # put it back for the next example
            Evaluation.objects.filter(pk=evaluation.pk).update(status="submitted")

    run()


@pytest.mark.parametrize("name", FILER_CALLS)
def test_filer_services_with_arbitrary_text(media, users, seed_eval, name):
    call = _filer_calls(seed_eval, users)[name]

    @PROPERTY
    @given(TEXTS)
    def run(text):
        with contextlib.suppress(services.ServiceError):
            call(text)

    run()


# ---------------------------------------------------------------------------- imports


def test_the_json_import_refuses_control_characters_with_their_path(media, users, seed_eval):
    from evaluations import transfer
    from evaluations.selectors import evaluations_for_scoring
    from evaluations.services.transfer import evaluation_import

    data = transfer.export_data(evaluations_for_scoring().get(pk=seed_eval.pk))
    key = next(iter(data["sections"]))
    data["sections"][key] = "正文\x00"
    data["goals"]["overall_goal"] = "目标\x1b"
    version = Evaluation.objects.get(pk=seed_eval.pk).version
    with pytest.raises(transfer.TransferError) as info:
        evaluation_import(data, actor=users["filer"])
    paths = {p.path: p.message for p in info.value.problems}
    assert "控制字符" in paths[f"sections.{key}"]
    assert "控制字符" in paths["goals.overall_goal"]
    assert Evaluation.objects.get(pk=seed_eval.pk).version == version
