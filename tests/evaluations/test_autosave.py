"""Autosave (static/js/autosave.js): the step form posted to the step's URL with X-Autosave: 1
goes through the step's own form, service and version check, answered in JSON."""

from __future__ import annotations

import pytest

from .filing_helpers import form_data, step_url

pytestmark = pytest.mark.django_db

AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


def _data(client, evaluation, step: str) -> dict:
    return form_data(client.get(step_url(evaluation, step)))


def test_autosave_saves_and_answers_the_new_version(filer2_client, blank_eval):
    data = _data(filer2_client, blank_eval, "basic")
    data["internal_units"] = "5"
    response = filer2_client.post(step_url(blank_eval, "basic"), data, **AUTOSAVE)
    assert response.status_code == 200
    body = response.json()
    blank_eval.refresh_from_db()
    assert body["ok"] is True and body["version"] == blank_eval.version == int(data["version"]) + 1
    assert blank_eval.internal_units == 5
    assert len(body["saved_at"]) == 5  # HH:MM


def test_autosave_with_an_error_saves_nothing_and_names_the_input(filer2_client, blank_eval):
    data = _data(filer2_client, blank_eval, "figures")
    name = next(k for k in data if k not in ("version", "csrfmiddlewaretoken"))
    data[name] = "一千"
    version = blank_eval.version
    response = filer2_client.post(step_url(blank_eval, "figures"), data, **AUTOSAVE)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["message"] == "保存失败，请检查标出的栏目。"
    assert list(body["errors"]) == [name]
    blank_eval.refresh_from_db()
    assert blank_eval.version == version


def test_autosave_over_someone_elses_save_is_a_conflict(filer2_client, blank_eval):
    data = _data(filer2_client, blank_eval, "basic")
    stale = dict(data)
    filer2_client.post(step_url(blank_eval, "basic"), data, **AUTOSAVE)
    stale["internal_units"] = "7"
    response = filer2_client.post(step_url(blank_eval, "basic"), stale, **AUTOSAVE)
    assert response.status_code == 409
    body = response.json()
    assert body["stale"] is True and "已被他人修改" in body["message"]
    blank_eval.refresh_from_db()
    assert body["version"] == blank_eval.version


def test_autosave_of_a_new_duty_row_answers_its_id_so_it_is_never_saved_twice(
    filer2_client, blank_eval
):
    data = _data(filer2_client, blank_eval, "duty")
    data.update(
        {
            "overall_goal": "目标",
            "tasks-TOTAL_FORMS": "1",
            "tasks-0-name": "任务一",
            "tasks-0-ORDER": "1",
        }
    )
    prefix = "task-0-rows"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-name": "指标一",
            f"{prefix}-0-ORDER": "1",
            f"{prefix}-0-points": "5",
            f"{prefix}-0-operator": ">=",
        }
    )
    response = filer2_client.post(step_url(blank_eval, "duty"), data, **AUTOSAVE)
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    task = blank_eval.tasks.get()
    assert body["ids"]["tasks-0-id"] == task.pk
    assert body["ids"][f"{prefix}-0-id"] == task.rows.get().pk
    data.update(body["ids"], version=str(body["version"]))
    response = filer2_client.post(step_url(blank_eval, "duty"), data, **AUTOSAVE)
    assert response.json()["ok"] is True
    assert blank_eval.tasks.count() == 1 and task.rows.count() == 1


def test_autosave_of_a_read_only_evaluation_is_refused(filer_client, seed_eval):
    from evaluations.models import Evaluation

    Evaluation.objects.filter(pk=seed_eval.pk).update(status="submitted")
    response = filer_client.post(step_url(seed_eval, "basic"), {"version": "1"}, **AUTOSAVE)
    assert response.status_code == 403
    assert response.json()["message"] == "这份自评当前不能修改。"


def test_enter_in_a_field_submits_the_hidden_save_of_this_step(filer2_client, blank_eval):
    html = filer2_client.get(step_url(blank_eval, "figures")).content.decode()
    form = html[html.index('<form method="post" id="step-form"') :]
    first_submit = form[form.index("<button") : form.index(">", form.index("<button"))]
    assert 'type="submit"' in first_submit and 'value="figures"' in first_submit
    # no submit button of the step form before it (the step list holds links)
    before = html[: html.index('<form method="post" id="step-form"')]
    assert 'form="step-form"' not in before
