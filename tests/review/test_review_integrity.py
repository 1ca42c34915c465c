"""Issue 12's reproductions, each walked to its resolution through the services and pages:

- a 复核分 and a 批注 stay on their 履职效能 row when the filer deletes a row above it;
- a judgement on a deleted row stays visible to both sides as 「所属指标已删除」 and can be
  resolved (and then no longer counts as open on the dashboard);
- a 复核分 that no longer fits its row (the filer lowered its points after a return) is the
  reviewer's decision to make again, never the filer's blocker;
- after a return the filer finds every open 批注 and 复核分 (home, step list, 核对与提交, the
  indicator card).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.feedback import DELETED
from evaluations.models import Annotation, DutyIndicator, DutyTask, Evaluation
from evaluations.selectors import evaluations_for_scoring
from evaluations.submission import review

from .helpers import text_of

D = Decimal


def _row_input(row: DutyIndicator, **changes) -> services.RowInput:
    values = {
        name: getattr(row, name)
        for name in (
            "name",
            "points",
            "operator",
            "target_value",
            "target_text",
            "unit",
            "actual_value",
            "actual_text",
            "achieved",
            "claimed",
            "claimed_reason",
            "note",
        )
    }
    values.update(changes)
    return services.RowInput(id=row.pk, **values)


def _save_duty(evaluation: Evaluation, filer, *, drop=(), change=None) -> Evaluation:
    """Save the 履职效能 step as the page would: every live task and row by id, except the
    rows in `drop` (deleted) and with `change` {row id: {field: value}} applied."""
    change = change or {}
    evaluation.refresh_from_db()
    tasks = []
    for task in DutyTask.objects.filter(evaluation=evaluation).prefetch_related("rows"):
        rows = tuple(
            _row_input(r, **change.get(r.pk, {})) for r in task.rows.all() if r.pk not in drop
        )
        tasks.append(services.TaskInput(name=task.name, rows=rows, id=task.pk))
    services.evaluation_save_duty(
        evaluation.pk,
        filer,
        evaluation.version,
        overall_goal=evaluation.overall_goal,
        goal_completion=evaluation.goal_completion,
        goal_shortfall_reason=evaluation.goal_shortfall_reason,
        tasks=tasks,
    )
    evaluation.refresh_from_db()
    return evaluation


def _sheet(evaluation: Evaluation):
    return review(evaluations_for_scoring().get(pk=evaluation.pk))


def _duty_lines(evaluation: Evaluation):
    """{row id: line} of the live 履职效能 rows on the score table."""
    return {
        int(ln.row.key[4:]): ln for ln in _sheet(evaluation).sheet.lines if getattr(ln, "row", None)
    }


def _first_task_rows(evaluation: Evaluation) -> list[DutyIndicator]:
    task = DutyTask.objects.filter(evaluation=evaluation).first()
    rows = list(task.rows.all())
    assert len(rows) >= 2, "the seed's first task has at least two rows"
    return rows


def _return(evaluation: Evaluation, reviewer) -> None:
    services.evaluation_return(evaluation.pk, reviewer, "请根据复核意见修改。")


def _resubmit(evaluation: Evaluation, filer) -> None:
    evaluation.refresh_from_db()
    try:
        services.evaluation_submit(evaluation.pk, filer, evaluation.version)
    except services.SubmissionBlocked as exc:
        raise AssertionError([p.message for p in exc.problems]) from exc


# ---------------------------------------------------------------------------- row identity


def test_a_reviewed_score_and_a_note_follow_their_row_when_a_row_above_is_deleted(submitted, users):
    """The reproduction: 复核分 0 on row 2.1.2 with "第二项未完成", return, the filer deletes
    row 1. Before the fix the indicator now at 2.1.2 carried the 0 and its reason."""
    first, second = _first_task_rows(submitted)[:2]
    code_before = _duty_lines(submitted)[second.pk].code
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=second.key, score=D(0), reason="第二项未完成"
    )
    services.annotation_add(
        submitted.pk, users["reviewer"], target=second.key, label=code_before, text="请补充佐证"
    )
    _return(submitted, users["reviewer"])

    _save_duty(submitted, users["filer"], drop={first.pk})

    lines = _duty_lines(submitted)
    assert first.pk not in lines
    moved = lines[second.pk]
    assert moved.code != code_before  # it moved up one place ...
    assert (moved.reviewed, moved.reviewed_reason) == (D(0), "第二项未完成")  # ... with its 0
    others = [ln for pk, ln in lines.items() if pk != second.pk]
    assert all(ln.reviewed is None for ln in others), "no other row inherits the 复核分"
    note = Annotation.objects.get(evaluation=submitted, text="请补充佐证")
    assert note.target == second.key


def test_the_filer_sees_the_moved_row_with_its_judgements(submitted, users, filer_client):
    first, second = _first_task_rows(submitted)[:2]
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=second.key, score=D(0), reason="第二项未完成"
    )
    _return(submitted, users["reviewer"])
    _save_duty(submitted, users["filer"], drop={first.pk})
    page = filer_client.get(reverse("filing:step", args=[submitted.pk, "duty"]))
    html = page.content.decode()
    assert f'data-testid="reviewed-row-{second.pk}"' in html
    assert DELETED not in text_of(html)


# ---------------------------------------------------------------------------- deleted rows


def test_a_judgement_on_a_deleted_row_stays_visible_and_can_be_resolved(
    submitted, users, filer_client, reviewer_client
):
    first = _first_task_rows(submitted)[0]
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=first.key, score=D(0), reason="未完成"
    )
    note = services.annotation_add(
        submitted.pk, users["reviewer"], target=first.key, label="第一行", text="此行数据有误"
    )
    _return(submitted, users["reviewer"])
    # the deleted row's points go to the next one: the rows still add up to the section's
    second = _first_task_rows(submitted)[1]
    _save_duty(
        submitted,
        users["filer"],
        drop={first.pk},
        change={second.pk: {"points": second.points + first.points}},
    )
    assert DutyIndicator.all_objects.get(pk=first.pk).deleted_at is not None

    # the filer: on the home page and 核对与提交, under 所属指标已删除
    for url in (reverse("filing:home"), reverse("filing:step", args=[submitted.pk, "review"])):
        text = text_of(filer_client.get(url).content)
        assert DELETED in text and "此行数据有误" in text, url
    review_text = text_of(
        filer_client.get(reverse("filing:step", args=[submitted.pk, "review"])).content
    )
    assert first.name in review_text  # the deleted row is named, not just `row:<id>`

    # the deleted row's 复核分 does not count and does not block the filer
    result = _sheet(submitted)
    assert not [p for p in result.blocking if "复核" in p.message]
    assert result.sheet.totals.reviewed is None or all(
        getattr(ln, "row", None) is None or ln.row.key != first.key for ln in result.sheet.lines
    )

    # the filer resolves the note from that page; it no longer counts as open on the dashboard
    html = filer_client.get(reverse("filing:step", args=[submitted.pk, "review"])).content.decode()
    assert f'form="resolve-{note.pk}"' in html and f'id="resolve-{note.pk}"' in html
    filer_client.post(
        reverse("filing:annotation_resolve", args=[submitted.pk, note.pk]), {"resolved": "1"}
    )
    note.refresh_from_db()
    assert note.resolved_at is not None and note.resolved_by == users["filer"]
    _resubmit(submitted, users["filer"])
    dashboard = reviewer_client.get(
        reverse("review:dashboard", args=[submitted.department.region.code, 2022])
    )
    row = next(e for e, _ in dashboard.context["rows"] if e.pk == submitted.pk)
    assert row.open_annotations == 0

    # the reviewer sees both under 所属指标已删除; approval waits for the stale 复核分 ...
    page = text_of(reviewer_client.get(reverse("review:evaluation", args=[submitted.pk])).content)
    assert DELETED in page and "此行数据有误" in page and "未完成" in page
    with pytest.raises(services.ServiceError, match=DELETED):
        services.evaluation_approve(submitted.pk, users["reviewer"])
    # ... which the reviewer clears; then it can be approved
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=first.key, score=None, reason=""
    )
    services.evaluation_approve(submitted.pk, users["reviewer"])
    submitted.refresh_from_db()
    assert submitted.status == "approved"


# ---------------------------------------------------------------------------- no dead ends


def test_a_reviewed_score_that_no_longer_fits_is_the_reviewers_decision(
    submitted, users, reviewer_client
):
    """The reproduction: 复核分 4.5 on a row, return, the filer lowers the row's points to 2;
    submission used to be refused with "复核分4.5超出范围（0～2）", and the reviewer could not
    change the 复核分 until it was submitted: a dead end."""
    rows = _first_task_rows(submitted)
    row, other = rows[0], rows[1]
    high = min(row.points, D("4.5"))
    low = high / 2
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=row.key, score=high, reason="基本完成"
    )
    _return(submitted, users["reviewer"])
    # the points move from one row to the other: the task's total stays as the rubric wants
    _save_duty(
        submitted,
        users["filer"],
        change={
            row.pk: {"points": low, "claimed": min(row.claimed or low, low)},
            other.pk: {"points": other.points + (row.points - low)},
        },
    )

    result = _sheet(submitted)
    assert not [p for p in result.blocking if "复核" in p.message], "not the filer's blocker"
    [problem] = [p for p in result.reviewer if "请重新复核" in p.message]
    assert problem.fixer_label == "审核人"
    _resubmit(submitted, users["filer"])  # the filer is not blocked
    submitted.refresh_from_db()
    assert submitted.status == "submitted"

    # the reviewer sees it, cannot approve past it, decides again, and then can approve
    page = text_of(reviewer_client.get(reverse("review:evaluation", args=[submitted.pk])).content)
    assert "请重新复核" in page
    with pytest.raises(services.ServiceError, match="请重新复核"):
        services.evaluation_approve(submitted.pk, users["reviewer"])
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=row.key, score=low, reason="按新分值复核"
    )
    assert _sheet(submitted).reviewer == []
    services.evaluation_approve(submitted.pk, users["reviewer"])


# ---------------------------------------------------------------------------- the filer's side


def test_after_a_return_the_filer_finds_every_note_and_reviewed_score(
    submitted, users, filer_client
):
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code="1.1.1", score=D(0), reason="预算编制不规范"
    )
    services.annotation_add(
        submitted.pk, users["reviewer"], target="ind:1.1.2", label="1.1.2", text="请上传批复"
    )
    _return(submitted, users["reviewer"])

    home = filer_client.get(reverse("filing:home")).content.decode()
    assert "预算编制不规范" in text_of(home) and "请上传批复" in text_of(home)
    link = reverse("filing:step", args=[submitted.pk, "management"])
    assert f'href="{link}#ind-1-1-1"' in home and f'href="{link}#ind-1-1-2"' in home

    # the step list counts them on the step that holds them
    page = filer_client.get(link).content.decode()
    assert 'data-testid="step-notes-management"' in page
    # the indicator card shows its 复核分 and reason
    assert 'data-testid="reviewed-1.1.1"' in page
    assert "复核理由：预算编制不规范" in text_of(page)

    # 核对与提交 lists both, linked to their field
    final = filer_client.get(reverse("filing:step", args=[submitted.pk, "review"]))
    assert "预算编制不规范" in text_of(final.content) and "请上传批复" in text_of(final.content)
    assert f'href="{link}#ind-1-1-1"' in final.content.decode()


def test_every_note_link_leads_to_its_field(submitted, users, filer_client):
    """Each open 批注 and 复核分 — on a leaf, a 履职效能 row, a figure, a report section, the
    goal, the whole filing, and one on a deleted row — links to an element of its step page."""
    first, second = _first_task_rows(submitted)[:2]
    reviewer = users["reviewer"]
    for target in ("ind:1.1.2", second.key, first.key, "fig:adjusted_budget_total", "sec:overview"):
        services.annotation_add(submitted.pk, reviewer, target=target, label=target, text=target)
    for target in ("goal", "general"):
        services.annotation_add(submitted.pk, reviewer, target=target, label=target, text=target)
    services.evaluation_set_reviewed(
        submitted.pk, reviewer, code=second.key, score=D(0), reason="第二项未完成"
    )
    _return(submitted, reviewer)
    _save_duty(submitted, users["filer"], drop={first.pk})

    html = filer_client.get(reverse("filing:step", args=[submitted.pk, "review"])).content.decode()
    notes = html[html.index('data-testid="notes-card"') :]
    links = re.findall(r'<a href="/evaluations/\d+/step/(\w+)/#([^"]+)">', notes)
    assert len(links) >= 8
    pages: dict[str, str] = {}
    dead = []
    for step, anchor in links:
        if step not in pages:
            url = reverse("filing:step", args=[submitted.pk, step])
            pages[step] = filer_client.get(url).content.decode()
        if f'id="{anchor}"' not in pages[step]:
            dead.append((step, anchor))
    assert dead == []


def test_the_history_page_offers_the_review_tabs_only_to_whom_the_policy_allows(
    submitted, users, filer_client, reviewer_client
):
    """The history page asked `user.review_regions.exists` instead of the access policy: a
    filer who reviews another region got the review tabs of this evaluation."""
    from evaluations.models import Region

    other = Region.objects.create(code="other-region", name="另一区", finance_bureau="另一区财政局")
    other.reviewers.add(users["filer"])
    url = reverse("filing:history", args=[submitted.pk])
    review_tab = reverse("review:evaluation", args=[submitted.pk])
    assert f'href="{review_tab}"' not in filer_client.get(url).content.decode()
    assert f'href="{review_tab}"' in reviewer_client.get(url).content.decode()


# ---------------------------------------------------------------------------- one rule


def test_the_bonus_penalty_reviewed_range_is_one_rule_on_page_form_and_service(
    submitted, users, reviewer_client
):
    """The 加减分 复核分 minimum was `-points` in one place and `-max_penalty` in another: the
    review page now shows the range the service checks, both from scoring.score_range."""
    from evaluations.scoring import score_range

    line = next(ln for ln in _sheet(submitted).sheet.lines if ln.method == "bonus_penalty")
    minimum, maximum = score_range(line)
    assert minimum < 0 < maximum
    page = text_of(reviewer_client.get(reverse("review:evaluation", args=[submitted.pk])).content)
    assert f"复核分范围 {minimum.normalize():f}～{maximum.normalize():f}" in page
    with pytest.raises(services.ServiceError, match="复核分应在"):
        services.evaluation_set_reviewed(
            submitted.pk, users["reviewer"], code=line.code, score=minimum - D("0.5"), reason="x"
        )
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=line.code, score=minimum, reason="受批评两项"
    )
    assert _sheet(submitted).sheet.line(line.code).reviewed == minimum


def test_history_and_the_diff_between_submissions_follow_the_row_not_its_place(submitted, users):
    """Deleting row 1 used to make every row below look changed (their fields were keyed by
    position): the diff between submissions and the field history now show row 1's fields
    as removed and nothing else."""
    from evaluations import snapshot
    from evaluations.models import FieldChange, SubmissionSnapshot

    first, second = _first_task_rows(submitted)[:2]
    _return(submitted, users["reviewer"])
    _save_duty(
        submitted,
        users["filer"],
        drop={first.pk},
        change={second.pk: {"points": second.points + first.points}},
    )
    _resubmit(submitted, users["filer"])
    old, new = SubmissionSnapshot.objects.filter(evaluation=submitted).order_by("id")
    changes = snapshot.diff(old.data, new.data)
    assert changes
    about = {c.key.split(".")[1] for c in changes}
    assert about == {first.key, second.key}
    assert {c.key for c in changes if c.key.startswith(f"duty.{second.key}.")} == {
        f"duty.{second.key}.points"
    }
    assert all(c.new == "" for c in changes if c.key.startswith(f"duty.{first.key}."))
    history = set(FieldChange.objects.filter(evaluation=submitted).values_list("key", flat=True))
    assert {k.split(".")[1] for k in history if k.startswith("duty.")} == about


def test_the_reproduction_through_the_duty_page(submitted, users, filer_client):
    """As reproduced in the browser: 复核分 0 "第二项未完成" on row 2.1.2, return, the filer
    ticks 删除 on row 1 of the 履职效能 page and saves. The 0 stays on the row it was given to;
    the row that now sits at 2.1.2 carries none."""
    from tests.evaluations.filing_helpers import form_data, step_url

    first, second = _first_task_rows(submitted)[:2]
    at_old_place = _duty_lines(submitted)[second.pk].code
    services.evaluation_set_reviewed(
        submitted.pk, users["reviewer"], code=second.key, score=D(0), reason="第二项未完成"
    )
    _return(submitted, users["reviewer"])

    data = form_data(filer_client.get(step_url(submitted, "duty")))
    data["task-0-rows-0-DELETE"] = "on"
    data["goto"] = "duty"
    response = filer_client.post(step_url(submitted, "duty"), data)
    assert response.status_code == 302, text_of(response.content)[:500]

    lines = _duty_lines(submitted)
    assert first.pk not in lines
    assert (lines[second.pk].reviewed, lines[second.pk].reviewed_reason) == (D(0), "第二项未完成")
    assert [pk for pk, ln in lines.items() if ln.reviewed is not None] == [second.pk]
    now_there = [ln for ln in lines.values() if ln.code == at_old_place]
    assert all(ln.reviewed is None for ln in now_there)
