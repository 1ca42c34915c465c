"""批注: a reviewer's annotation on an indicator, a figure or a section appears on the review
page and on the filer's step page beside that field; the filer replies and marks it resolved;
nobody else can."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Annotation

from .helpers import element_html, messages_of

FILER_STEPS = ("basic", "figures", "management", "duty", "report", "review")


def review_url(evaluation) -> str:
    return reverse("review:evaluation", args=[evaluation.pk])


def step_url(evaluation, step: str) -> str:
    return reverse("filing:step", args=[evaluation.pk, step])


NOTES = {
    # target: (label, review-page element, filer step, element beside the field there)
    "ind:1.1.1": ("1.1.1 预算完成率", "note-ind-1-1-1", "management", "ind-1-1-1"),
    "fig:expenditure_final_total": (
        "支出决算总额",
        "fig-expenditure_final_total",
        "figures",
        "fig-expenditure_final_total",
    ),
    "sec:overview": ("部门概况", "sec-overview", "basic", "sec-overview"),
    "sec:annual_work": (
        "年度总体工作和重点工作任务",
        "sec-annual_work",
        "report",
        "sec-annual_work",
    ),
}


def annotate(client, evaluation, target: str, text: str):
    return client.post(
        reverse("review:annotate", args=[evaluation.pk]),
        {"target": target, "label": NOTES.get(target, ("",))[0], "text": text},
        follow=True,
    )


@pytest.mark.parametrize("target", NOTES)
def test_annotation_shown_on_the_review_page_and_beside_the_filers_field(
    reviewer_client, filer_client, submitted, target
):
    text = f"请核对（{target}）"
    response = annotate(reviewer_client, submitted, target, text)
    assert "批注已添加。" in messages_of(response)
    _label, review_id, step, step_id = NOTES[target]
    assert text in element_html(response.content, review_id)
    note = Annotation.objects.get(evaluation=submitted)
    assert (note.target, note.author.username, note.parent) == (target, "reviewer", None)

    page = filer_client.get(step_url(submitted, step))
    assert page.status_code == 200
    beside = element_html(page.content, step_id)
    assert text in beside
    assert "待处理" in beside
    # the reply box and its buttons belong to forms outside the step's own form
    assert f'form="reply-{note.pk}"' in beside and f'form="resolve-{note.pk}"' in beside
    reply_form = element_html(page.content, f"reply-{note.pk}")
    assert reverse("filing:annotation_reply", args=[submitted.pk, note.pk]) in reply_form
    # listed among the reviewer's notes beside the step list, linked to the field; nowhere else
    aside = element_html(page.content, "notes-aside")
    assert text in aside and f"#{step_id}" in aside
    assert page.content.decode().count(text) == 2


def test_annotation_needs_a_text(reviewer_client, submitted):
    response = annotate(reviewer_client, submitted, "ind:1.1.1", "  ")
    assert "请填写批注内容" in messages_of(response)
    assert not Annotation.objects.exists()


def test_no_annotation_once_approved(reviewer_client, submitted, users):
    services.evaluation_approve(submitted.pk, users["reviewer"])
    response = annotate(reviewer_client, submitted, "ind:1.1.1", "太迟了")
    assert "已审核通过的自评不能再添加批注。" in messages_of(response)
    assert not Annotation.objects.exists()


def test_filer_replies_and_resolves(reviewer_client, filer_client, submitted):
    annotate(reviewer_client, submitted, "ind:1.1.1", "请说明自评分2分的依据")
    note = Annotation.objects.get()
    page = step_url(submitted, "management")
    response = filer_client.post(
        reverse("filing:annotation_reply", args=[submitted.pk, note.pk]),
        {"text": "已补充佐证材料。", "next": page + "#note-ind-1-1-1"},
    )
    assert response.status_code == 302
    assert response["Location"] == page + "#note-ind-1-1-1"
    reply = Annotation.objects.get(parent=note)
    assert (reply.author.username, reply.text, reply.target) == (
        "filer",
        "已补充佐证材料。",
        "ind:1.1.1",
    )

    response = filer_client.post(
        reverse("filing:annotation_resolve", args=[submitted.pk, note.pk]), {"resolved": "1"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.resolved_at is not None and note.resolved_by.username == "filer"

    thread = element_html(reviewer_client.get(review_url(submitted)).content, "note-ind-1-1-1")
    assert "已补充佐证材料。" in thread and "已解决" in thread
    beside = element_html(filer_client.get(page).content, "ind-1-1-1")
    assert "已补充佐证材料。" in beside and "已解决" in beside

    filer_client.post(
        reverse("filing:annotation_resolve", args=[submitted.pk, note.pk]), {"resolved": "0"}
    )
    note.refresh_from_db()
    assert note.resolved_at is None


def test_another_departments_filer_gets_404_on_annotations(
    reviewer_client, filer2_client, submitted
):
    annotate(reviewer_client, submitted, "ind:1.1.1", "请说明")
    note = Annotation.objects.get()
    for action in ("annotation_reply", "annotation_resolve"):
        response = filer2_client.post(
            reverse(f"filing:{action}", args=[submitted.pk, note.pk]),
            {"text": "别人的回复", "resolved": "1"},
        )
        assert response.status_code == 404
    assert filer2_client.get(step_url(submitted, "management")).status_code == 404
    assert Annotation.objects.count() == 1
    note.refresh_from_db()
    assert note.resolved_at is None


# ---------------------------------------------------------------------------- every target

NOTIFIED_FIGURE = "fig:project_execution_rate_notified"


def _annotate_everything(reviewer_client, filer_client, evaluation, users):
    """Add one annotation on every target the review page offers; return the targets and
    the filer's six step pages joined."""
    html = reviewer_client.get(review_url(evaluation)).content.decode()
    targets = re.findall(r'name="target" value="([^"]+)"', html)
    for target in targets:
        services.annotation_add(
            evaluation.pk, users["reviewer"], target=target, label=target, text=f"批注[{target}]"
        )
    pages = "".join(
        filer_client.get(step_url(evaluation, step)).content.decode() for step in FILER_STEPS
    )
    return targets, pages


def test_every_annotation_the_reviewer_can_make_is_shown_to_the_filer(
    reviewer_client, filer_client, submitted, users
):
    targets, pages = _annotate_everything(reviewer_client, filer_client, submitted, users)
    kinds = {t.split(":")[0] for t in targets}
    # 履职效能 rows are annotated by their stable id (row:<id>), the rubric leaves by code
    assert kinds == {"ind", "row", "fig", "sec", "goal", "general"}
    assert len(targets) > 80
    missing = [t for t in targets if f"批注[{t}]" not in pages]
    assert missing == []


def test_annotation_on_the_notified_rate_is_shown_to_the_filer(
    reviewer_client, filer_client, submitted, users
):
    """Was a bug (the read-only notified figures had no annotation thread on 收支数据); fixed in
    1e99755."""
    services.annotation_add(
        submitted.pk, users["reviewer"], target=NOTIFIED_FIGURE, label="执行率", text="执行率待核"
    )
    pages = "".join(
        filer_client.get(step_url(submitted, step)).content.decode() for step in FILER_STEPS
    )
    assert "执行率待核" in pages
