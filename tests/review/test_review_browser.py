"""The review round trip in the browser: the reviewer annotates 1.1.1 and returns the seed
evaluation; the filer sees the banner and the annotation beside 1.1.1, replies, takes the
computed score and resubmits; the reviewer sees the change and approves.

Debian's chromium through Playwright on the live server, launched as in tests/browser. The
browser runs in a thread of its own: tests/browser keeps a session-wide sync Playwright in the
main thread, and a second one cannot be started in the same thread."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as tests/browser/conftest.py

import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from evaluations import services
from evaluations.models import Annotation, Evaluation
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

from .conftest import _memo_safe_load
from .helpers import SEED_DEPARTMENT, make_submittable

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/review-shots")
PASSWORD = "demo-pass-2022"
SEED_NAME = "中国人民政治协商会议广州市南沙区委员会办公室"
NOTE = "1.1.1 预算完成率：自评分2分高于按规则计算的1.57分，请说明依据或改为计算得分。"
RETURN_COMMENT = "请按批注修改1.1.1的自评分后重新提交。"
REPLY = "已核对，自评分改为计算得分1.57分。"


@pytest.fixture
def server(live_server, transactional_db, monkeypatch):
    """The live server with the demo data and the seed evaluation submitted by filer."""
    from django.contrib.auth import get_user_model

    from evaluations.demo import seed_demo

    monkeypatch.setattr(yaml, "safe_load", _memo_safe_load)
    seed_demo()
    filer = get_user_model().objects.get(username="filer")
    evaluation = Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2022)
    make_submittable(evaluation, filer)
    services.evaluation_submit(evaluation.pk, filer, evaluation.version)
    return live_server.url, evaluation.pk


def in_browser(scenario, base_url: str):
    """Run scenario(new_page) in a thread with its own Playwright and chromium."""

    def run():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            contexts = []

            def new_page() -> Page:
                ctx = browser.new_context(
                    base_url=base_url, locale="zh-CN", viewport={"width": 1400, "height": 1000}
                )
                ctx.set_default_timeout(15_000)
                contexts.append(ctx)
                return ctx.new_page()

            try:
                expect.set_options(timeout=10_000)
                return scenario(new_page)
            finally:
                for ctx in contexts:
                    ctx.close()
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=300)


def login(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def shot(page: Page, name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return str(path)


def message(page: Page, text: str):
    return page.locator(".messages [role=status], .messages [role=alert]").filter(has_text=text)


def exact(label: str) -> re.Pattern[str]:
    """A label matched whole; crispy-forms appends "*" to the label of a required field."""
    return re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")


def seed_row(page: Page):
    return page.get_by_test_id("dashboard-row").filter(has_text=SEED_NAME)


def step(page: Page, title: str) -> None:
    nav = page.get_by_role("navigation", name="填报步骤")
    nav.get_by_text(title, exact=True).click()
    expect(nav.locator("[aria-current=step]")).to_contain_text(title)


def test_return_reply_resubmit_approve(server):
    base_url, pk = server

    def scenario(new_page):
        shots = []
        reviewer = new_page()
        login(reviewer, "reviewer")  # a reviewer lands on the 审核工作台
        expect(reviewer.get_by_role("heading", name="审核工作台")).to_be_visible()
        expect(seed_row(reviewer)).to_contain_text("已提交")
        shots.append(shot(reviewer, "01-dashboard-submitted"))
        seed_row(reviewer).get_by_role("link", name="审核").click()
        expect(reviewer.get_by_test_id("status")).to_have_text("已提交")

        line = reviewer.locator('tr[data-code="1.1.1"]')
        line.get_by_text("＋ 批注").click()
        line.get_by_label("批注内容").fill(NOTE)
        line.get_by_role("button", name="添加批注").click()
        expect(message(reviewer, "批注已添加。")).to_be_visible()
        line = reviewer.locator('tr[data-code="1.1.1"]')
        expect(line.get_by_test_id("annotation")).to_contain_text(NOTE)
        expect(line.get_by_test_id("annotation")).to_contain_text("待处理")
        shots.append(shot(reviewer, "02-review-annotated"))

        reviewer.get_by_label("退回意见").fill(RETURN_COMMENT)
        reviewer.get_by_test_id("return").click()
        expect(message(reviewer, "已退回，填报人将收到通知。")).to_be_visible()
        expect(seed_row(reviewer)).to_contain_text("已退回")

        filer = new_page()
        login(filer, "filer")
        filer.get_by_role("link", name="继续填报").click()
        banner = filer.get_by_test_id("returned-banner")
        expect(banner).to_contain_text(RETURN_COMMENT)
        step(filer, "评分指标")
        expect(filer.get_by_test_id("returned-banner")).to_contain_text(RETURN_COMMENT)
        card = filer.locator("#ind-1-1-1")
        expect(card.get_by_test_id("annotation")).to_contain_text(NOTE)
        card.get_by_label("回复批注").fill(REPLY)
        card.get_by_role("button", name="回复").click()
        expect(message(filer, "回复已发送。")).to_be_visible()
        card = filer.locator("#ind-1-1-1")
        expect(card.get_by_test_id("annotation")).to_contain_text(REPLY)
        expect(card.get_by_test_id("computed-1.1.1")).to_have_text("1.57")
        card.get_by_label(exact("自评分")).fill("1.57")
        card.get_by_label(exact("自评分说明")).fill("")
        filer.get_by_test_id("save-draft").click()
        expect(message(filer, "“评分指标”已保存")).to_be_visible()
        expect(filer.locator("#ind-1-1-1").get_by_test_id("claimed-1.1.1")).to_have_text("1.57")
        step(filer, "核对与提交")
        expect(filer.get_by_test_id("ready")).to_be_visible()
        filer.once("dialog", lambda dialog: dialog.accept())
        filer.get_by_test_id("submit").click()
        expect(filer.get_by_test_id("status")).to_have_text("已提交")

        reviewer.goto("/review/")
        expect(seed_row(reviewer)).to_contain_text("已提交")
        seed_row(reviewer).get_by_role("link", name="审核").click()
        changes = reviewer.get_by_test_id("changes")
        expect(changes).to_contain_text("与上次提交相比的修改")
        claimed = changes.locator("tr").filter(has_text="指标1.1.1·自评分").first
        expect(claimed.locator(".diff-old")).to_have_text("2")
        expect(claimed.locator(".diff-new")).to_have_text("1.57")
        expect(reviewer.get_by_test_id("total-claimed")).to_have_text("97.18")
        thread = reviewer.locator('tr[data-code="1.1.1"]').get_by_test_id("annotation")
        expect(thread).to_contain_text(REPLY)
        shots.append(shot(reviewer, "03-review-changes"))

        reviewer.once("dialog", lambda dialog: dialog.accept())
        reviewer.get_by_test_id("approve").click()
        expect(message(reviewer, "已审核通过。")).to_be_visible()
        expect(seed_row(reviewer)).to_contain_text("审核通过")
        shots.append(shot(reviewer, "04-dashboard-approved"))
        return shots

    shots = in_browser(scenario, base_url)
    assert all(Path(s).stat().st_size > 10_000 for s in shots)

    evaluation = Evaluation.objects.get(pk=pk)
    assert evaluation.status == "approved"
    assert list(evaluation.events.values_list("action", flat=True)) == [
        "submit",
        "return",
        "submit",
        "approve",
    ]
    assert evaluation.events.get(action="return").comment == RETURN_COMMENT
    answer = evaluation.answers.get(code="1.1.1")
    assert (str(answer.claimed), answer.claimed_reason) == ("1.57", "")
    note = Annotation.objects.get(evaluation=evaluation, parent=None)
    assert (note.target, note.text, note.author.username) == ("ind:1.1.1", NOTE, "reviewer")
    assert [(r.author.username, r.text) for r in note.replies.all()] == [("filer", REPLY)]


def test_filer_can_answer_an_annotation_while_the_review_is_in_progress(server):
    from django.contrib.auth import get_user_model

    base_url, pk = server
    reviewer = get_user_model().objects.get(username="reviewer")
    for target in ("ind:1.1.1", "general"):
        services.annotation_add(pk, reviewer, target=target, label=target, text=f"请说明{target}")

    def scenario(new_page):
        filer = new_page()
        login(filer, "filer")
        filer.goto(f"/evaluations/{pk}/step/management/")
        expect(filer.get_by_test_id("status")).to_have_text("已提交")
        general = filer.locator("#note-general")
        expect(general.get_by_label("回复批注")).to_be_enabled()
        card = filer.locator("#ind-1-1-1")
        expect(card.get_by_test_id("annotation")).to_contain_text("请说明ind:1.1.1")
        expect(card.get_by_label("回复批注")).to_be_enabled(timeout=2_000)

    in_browser(scenario, base_url)
