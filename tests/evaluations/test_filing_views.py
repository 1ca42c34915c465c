"""The filer's pages through the Django test client: login, home, the six steps, who may see
what, read-only access for the reviewer, and the live figure preview."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from .filing_helpers import (
    EDIT_STEPS,
    PASSWORD,
    STEPS,
    form_data,
    snapshot,
    step_url,
    text_of,
)

pytestmark = pytest.mark.django_db


def _urls(evaluation) -> dict[str, tuple[str, str]]:
    """Every filing URL of an evaluation: name → (method, url)."""
    urls = {"start": ("get", reverse("filing:start", args=[evaluation.pk]))}
    urls.update({f"step:{s}": ("get", step_url(evaluation, s)) for s in STEPS})
    urls.update({f"post:{s}": ("post", step_url(evaluation, s)) for s in EDIT_STEPS})
    for name in ("submit", "withdraw", "figures_preview"):
        urls[name] = ("post", reverse(f"filing:{name}", args=[evaluation.pk]))
    return urls


# ---------------------------------------------------------------------------- login


def test_login_page_is_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "<title>登录 · 绩效自评</title>" in html
    text = text_of(response)
    for words in ("登录", "部门整体支出绩效自评系统", "用户名", "密码"):
        assert words in text


def test_login_with_the_demo_password_goes_home(seeded, client):
    response = client.post(reverse("login"), {"username": "filer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("filing:home")


def test_login_returns_to_the_page_asked_for(seeded, client, seed_eval):
    url = step_url(seed_eval, "figures")
    login = client.get(url)["Location"]
    page = client.get(login)
    assert f'name="next" value="{url}"' in page.content.decode()
    response = client.post(login, {"username": "filer", "password": PASSWORD, "next": url})
    assert response["Location"] == url
    assert client.get(url).status_code == 200


def test_wrong_password_is_explained_in_chinese(seeded, client):
    response = client.post(reverse("login"), {"username": "filer", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确，请重新输入。" in text_of(response)
    assert 'role="alert"' in response.content.decode()


# ---------------------------------------------------------------------------- anonymous


def test_anonymous_is_sent_to_login_from_home(client):
    response = client.get(reverse("filing:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_anonymous_is_sent_to_login_from_every_filing_url(client, seed_eval):
    before = snapshot(seed_eval)
    for name, (method, url) in _urls(seed_eval).items():
        response = getattr(client, method)(url, {"version": "1"} if method == "post" else None)
        assert response.status_code == 302, name
        assert response["Location"].startswith(f"{reverse('login')}?next="), name
        assert url in response["Location"].replace("%2F", "/"), name
    assert snapshot(seed_eval) == before


# ---------------------------------------------------------------------------- home


def test_home_lists_only_the_filers_own_evaluations(filer_client, seed_eval, blank_eval):
    response = filer_client.get(reverse("filing:home"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<tr data-testid="evaluation-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 1
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0]))
    assert "2022年度" in row
    assert seed_eval.department.name in row
    assert "填报中" in row
    assert "97.61" in row
    assert "开始填报" in row  # nothing saved yet
    assert reverse("filing:start", args=[seed_eval.pk]) in rows[0]
    assert blank_eval.department.name not in html
    assert reverse("filing:start", args=[blank_eval.pk]) not in html


def test_home_says_continue_once_something_is_saved(filer_client, seed_eval):
    data = form_data(filer_client.get(step_url(seed_eval, "report")))
    filer_client.post(step_url(seed_eval, "report"), {**data, "goto": "report"})
    row = text_of(filer_client.get(reverse("filing:home")))
    assert "继续填报" in row
    assert "开始填报" not in row


def test_home_of_filer2_shows_the_blank_evaluation_only(filer2_client, seed_eval, blank_eval):
    html = filer2_client.get(reverse("filing:home")).content.decode()
    assert html.count('data-testid="evaluation-row"') == 1
    assert blank_eval.department.name in html
    assert seed_eval.department.name not in html


def test_start_opens_the_first_step(filer_client, seed_eval):
    response = filer_client.get(reverse("filing:start", args=[seed_eval.pk]))
    assert response.status_code == 302
    assert response["Location"] == step_url(seed_eval, "basic")


# ---------------------------------------------------------------------------- the six steps

HEADINGS = {
    "basic": ["机构设置与人员编制", "部门概况", "内设机构数", "实有在职人数"],
    "figures": [
        "年度部门整体支出规模（万元）",
        "全年预算（调整预算）",
        "支出决算",
        "财政局通报数据",
        "由收支数据计算的指标",
    ],
    "management": ["管理效能", "资金管理（18分）", "绩效管理（18分）", "1.1.1 预算完成率"],
    "duty": ["年度整体绩效目标", "年度主要工作任务与指标", "分值合计", "＋ 添加任务"],
    "report": ["一、基本情况", "二、综合评价分析", "三、存在的主要问题", "四、下一步改进措施"],
    "review": ["提交前须处理的问题（5）", "年度部门整体支出规模（万元）", "自评表", "提交自评"],
}


@pytest.mark.parametrize("step", STEPS)
def test_each_step_renders_for_the_filer(filer_client, seed_eval, step):
    response = filer_client.get(step_url(seed_eval, step))
    assert response.status_code == 200
    text = text_of(response)
    assert f"{seed_eval.department.name} 2022年度部门整体支出绩效自评" in text
    for heading in HEADINGS[step]:
        assert heading in text, heading
    # the step list names all six steps and marks this one as current
    for title in ("基本情况", "收支数据", "评分指标", "履职效能", "报告正文", "核对与提交"):
        assert title in text
    assert re.search(r'class="step-link current"\s+aria-current="step"', response.content.decode())
    if step != "review":
        html = response.content.decode()
        assert '<form method="post" id="step-form"' in html
        assert 'name="version" value="1"' in html
        assert "保存草稿" in text
        assert "<fieldset>" in html
        assert " disabled" not in html.split('id="step-form"', 1)[1].split("</form>", 1)[0]


def test_duty_step_shows_the_seed_tasks_and_rows(filer_client, seed_eval):
    response = filer_client.get(step_url(seed_eval, "duty"))
    data = form_data(response)
    assert data["tasks-TOTAL_FORMS"] == "4"
    assert data["tasks-0-name"] == "任务1-通过强化理论武装，进一步加强思想政治引领。"
    assert data["task-0-rows-TOTAL_FORMS"] == "3"
    assert data["task-0-rows-0-name"] == "开展政治理论学习活动"
    assert data["task-0-rows-0-points"] == "4.5"
    assert data["task-0-rows-0-achieved"] == "yes"
    assert data["task-1-rows-TOTAL_FORMS"] == "4"


def test_step_pages_show_the_claimed_total(filer_client, seed_eval):
    html = filer_client.get(step_url(seed_eval, "basic")).content.decode()
    assert re.search(r'data-testid="claimed-total">97\.61<', html)


def test_figures_step_shows_rates_and_formula_scores(filer_client, seed_eval):
    html = filer_client.get(step_url(seed_eval, "figures")).content.decode()
    assert re.search(r'data-rate="r2c6">97\.84%<', html)
    assert re.search(r'data-computed="1\.1\.1">1\.57<', html)
    # the finance bureau's figure is shown read-only, not as an input
    assert 'data-testid="readonly-project_execution_rate_notified"' in html
    assert 'name="project_execution_rate_notified"' not in html


def test_unknown_step_is_404(filer_client, seed_eval):
    assert filer_client.get(step_url(seed_eval, "nonsense")).status_code == 404
    assert filer_client.post(step_url(seed_eval, "nonsense"), {"version": "1"}).status_code == 404


def test_unknown_evaluation_is_404(filer_client, seed_eval):
    assert filer_client.get(reverse("filing:step", args=[99999, "basic"])).status_code == 404


# ---------------------------------------------------------------------------- another department


def test_another_departments_evaluation_is_404_everywhere(filer2_client, seed_eval):
    before = snapshot(seed_eval)
    for name, (method, url) in _urls(seed_eval).items():
        data = {"version": str(seed_eval.version), "goto": "basic"} if method == "post" else None
        response = getattr(filer2_client, method)(url, data)
        assert response.status_code == 404, name
        assert seed_eval.department.name not in response.content.decode(), name
    assert snapshot(seed_eval) == before


def test_the_other_way_round_too(filer_client, blank_eval):
    for name, (method, url) in _urls(blank_eval).items():
        response = getattr(filer_client, method)(
            url, {"version": "1"} if method == "post" else None
        )
        assert response.status_code == 404, name


def test_a_full_post_from_another_filer_changes_nothing(filer_client, filer2_client, seed_eval):
    data = form_data(filer_client.get(step_url(seed_eval, "figures")))
    data.update(initial_budget="1.00", goto="figures")
    before = snapshot(seed_eval)
    assert filer2_client.post(step_url(seed_eval, "figures"), data).status_code == 404
    assert snapshot(seed_eval) == before


# ---------------------------------------------------------------------------- CSRF


def test_step_posts_need_the_csrf_token(users, seed_eval):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["filer"])
    page = client.get(step_url(seed_eval, "report"))
    data = form_data(page)
    token = data.pop("csrfmiddlewaretoken")
    data["goto"] = "report"
    assert client.post(step_url(seed_eval, "report"), data).status_code == 403
    preview = reverse("filing:figures_preview", args=[seed_eval.pk])
    assert client.post(preview, {}).status_code == 403
    assert snapshot(seed_eval)["version"] == 1
    response = client.post(step_url(seed_eval, "report"), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.post(preview, {}, headers={"X-CSRFToken": token}).status_code == 200


# ---------------------------------------------------------------------------- the reviewer


@pytest.mark.parametrize("step", STEPS)
def test_reviewer_sees_every_step_read_only(reviewer_client, seed_eval, step):
    response = reviewer_client.get(step_url(seed_eval, step))
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    assert "（只读）" in text
    assert "保存草稿" not in text
    assert "保存并继续" not in text
    assert 'data-testid="submit"' not in html
    if step != "review":
        assert_fields_disabled(html)
        assert 'class="readonly-form"' in html


@pytest.mark.parametrize("step", EDIT_STEPS)
def test_a_post_from_the_reviewer_is_refused(filer_client, reviewer_client, seed_eval, step):
    data = form_data(filer_client.get(step_url(seed_eval, step)))
    # change something on every step (unchanged data must not be what keeps the DB the same)
    changes = {
        "basic": {"staff_actual": "99"},
        "figures": {"initial_budget": "1.00"},
        "management": {"ind-1-1-1-reason": "审核人改的"},
        "duty": {"overall_goal": "审核人改的"},
        "report": {"problems": "审核人改的"},
    }[step]
    data.update(changes, goto=step)
    before = snapshot(seed_eval)
    response = reviewer_client.post(step_url(seed_eval, step), data, follow=True)
    assert response.redirect_chain == [(step_url(seed_eval, step), 302)]
    assert "这份自评当前不能修改。" in text_of(response)
    assert snapshot(seed_eval) == before


def test_admin_sees_the_steps_read_only_too(seeded, client, seed_eval):
    client.login(username="admin", password=PASSWORD)
    response = client.get(step_url(seed_eval, "figures"))
    assert response.status_code == 200
    assert_fields_disabled(response.content.decode())
    assert "保存草稿" not in text_of(response)


def test_reviewer_cannot_submit(reviewer_client, seed_eval):
    response = reviewer_client.post(
        reverse("filing:submit", args=[seed_eval.pk]), {"version": "1"}, follow=True
    )
    assert response.status_code == 200
    assert "你没有“提交”这份自评的权限。" in text_of(response)
    assert snapshot(seed_eval)["status"] == "draft"


# ---------------------------------------------------------------------------- live preview


def _preview(client, evaluation, **changes):
    data = form_data(client.get(step_url(evaluation, "figures")))
    data.update(changes)
    data.pop("csrfmiddlewaretoken", None)
    response = client.post(reverse("filing:figures_preview", args=[evaluation.pk]), data)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


# the header table's cells: row 3 (完成率), columns 2 (其他资金) and 7 (合计)
TOTAL_RATE, OTHER_RATE = "r2c6", "r2c1"


def test_preview_gives_rates_and_formula_lines(filer_client, seed_eval):
    before = snapshot(seed_eval)
    body = _preview(filer_client, seed_eval)
    assert body["rates"][TOTAL_RATE] == "97.84%"
    assert body["rates"][OTHER_RATE] == "—"
    assert body["lines"]["1.1.1"]["computed"] == "1.57"
    assert body["lines"]["1.1.1"]["basis"].startswith("预算完成率＝1954.07÷1997.16×100%＝97.84%")
    assert body["errors"] == {}
    assert snapshot(seed_eval) == before


def test_preview_uses_the_typed_figures_without_saving(filer_client, seed_eval):
    before = snapshot(seed_eval)
    body = _preview(filer_client, seed_eval, expenditure_final_total="１,９９７.１６")
    assert body["rates"][TOTAL_RATE] == "100.00%"
    assert body["lines"]["1.1.1"]["computed"] == "2.00"
    assert snapshot(seed_eval) == before


def test_preview_ignores_a_posted_finance_bureau_figure(filer_client, seed_eval):
    plain = _preview(filer_client, seed_eval)
    posted = _preview(filer_client, seed_eval, project_execution_rate_notified="97.5")
    assert posted["lines"]["1.1.5"] == plain["lines"]["1.1.5"]
    assert plain["lines"]["1.1.5"]["computed"] is None  # not notified yet


def test_preview_reports_an_invalid_value_as_an_error(filer_client, seed_eval):
    body = _preview(filer_client, seed_eval, expenditure_final_total="1,95,4")
    assert body["errors"] == {
        "expenditure_final_total": ["请输入有效的金额（万元）：千位分隔符的位置不对"]
    }
    assert body["rates"][TOTAL_RATE] == "—"
    assert body["lines"]["1.1.1"]["computed"] is None


def test_preview_reports_a_huge_value_as_an_error(filer_client, seed_eval):
    """A 30-digit amount once raised decimal.InvalidOperation out of the preview (500)."""
    body = _preview(filer_client, seed_eval, expenditure_final_total="9" * 30)
    assert body["errors"] == {"expenditure_final_total": ["金额（万元）过大"]}


def test_preview_needs_post(filer_client, seed_eval):
    url = reverse("filing:figures_preview", args=[seed_eval.pk])
    assert filer_client.get(url).status_code == 405


def assert_fields_disabled(html: str) -> None:
    """Read-only: every input, select and textarea of the step form is disabled (the
    annotation reply boxes belong to other forms and are not part of this check)."""
    body = html.split('id="step-form"', 1)[1].split("</form>", 1)[0]
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", body)
    own = [c for c in controls if 'type="hidden"' not in c and 'form="' not in c]
    assert own, "the step form has no fields"
    assert all(" disabled" in c for c in own), [c for c in own if " disabled" not in c][:3]
