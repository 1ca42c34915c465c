"""Issue 13 item 1 (session part) and issue 15 item 7: the page warns before the idle timeout
and 「继续工作」 extends the session; a session that ran out never costs the typed input: the
page keeps it and asks to log in again (in a new tab), and the save then goes through."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .filing import SEED_DEPARTMENT, evaluation, figure_input, login, saved_message, shot, step_url

pytestmark = pytest.mark.browser

WARNING = "您已较长时间未操作，会话将在 2 分钟后结束"


def _session(context: BrowserContext):
    from django.contrib.sessions.backends.db import SessionStore

    [cookie] = [c for c in context.cookies() if c["name"] == "sessionid"]
    return SessionStore(session_key=cookie["value"])


def _idle_for(context: BrowserContext, seconds: float) -> None:
    """Make the server's session look idle for this long (the page's clock is moved apart)."""
    from evaluations import session as policy

    store = _session(context)
    store.load()
    store[policy.LAST_SEEN] = time.time() - seconds
    store.save()


def _remaining(context: BrowserContext) -> int:
    from evaluations import session as policy

    store = _session(context)
    return policy.remaining_seconds(store.load())


def _stored(key: str) -> Decimal | None:
    return evaluation(SEED_DEPARTMENT).figures.get(key=key).value


def _open_figures(page: Page) -> None:
    page.clock.install()
    login(page, "filer")
    page.goto(step_url(evaluation(SEED_DEPARTMENT).pk, "figures"))
    expect(figure_input(page, "procurement_actual")).to_have_value("1.21")


def test_the_idle_warning_appears_and_continue_extends(context: BrowserContext):
    page = context.new_page()
    _open_figures(page)
    dialog = page.get_by_test_id("session-dialog")
    expect(dialog).to_be_hidden()

    _idle_for(context, 28 * 60 + 30)
    page.clock.fast_forward("28:30")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(WARNING)
    expect(dialog.get_by_role("button", name="继续工作")).to_be_focused()
    shot(page, "session-warning")

    dialog.get_by_role("button", name="继续工作").click()
    expect(dialog).to_be_hidden()
    assert _remaining(context) > 29 * 60
    # still logged in: a save goes through
    figure_input(page, "procurement_actual").fill("1.25")
    page.get_by_test_id("save-draft").click()
    expect(saved_message(page, "收支数据")).to_be_visible()
    assert _stored("procurement_actual") == Decimal("1.25")


def test_typing_counts_as_activity(context: BrowserContext):
    page = context.new_page()
    _open_figures(page)
    _idle_for(context, 28 * 60 + 30)
    figure_input(page, "procurement_actual").fill("1.26")  # busy typing, not saving yet
    page.clock.fast_forward("28:30")
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("session-dialog")).to_be_hidden()
    assert _remaining(context) > 29 * 60  # extended without asking


def test_an_expired_session_keeps_the_page_and_saves_after_logging_in_again(
    context: BrowserContext,
):
    page = context.new_page()
    _open_figures(page)
    figure_input(page, "procurement_actual").fill("1.37")
    page.keyboard.press("Tab")
    _idle_for(context, 31 * 60)  # the server's session ran out meanwhile
    page.clock.fast_forward("31:00")
    dialog = page.get_by_test_id("session-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("登录已过期")
    expect(dialog).to_contain_text("本页填写的内容仍然保留")
    login_link = dialog.get_by_role("link", name="在新标签页中重新登录")
    expect(login_link).to_have_attribute("target", "_blank")
    shot(page, "session-expired-dialog")

    # the typed value is still in the page
    expect(figure_input(page, "procurement_actual")).to_have_value("1.37")
    dialog.get_by_role("button", name="我已重新登录").click()
    expect(dialog).to_contain_text("尚未检测到重新登录")

    other = context.new_page()
    login(other, "filer")
    other.close()

    dialog.get_by_role("button", name="我已重新登录").click()
    expect(dialog).to_be_hidden()
    page.get_by_test_id("save-draft").click()
    expect(saved_message(page, "收支数据")).to_be_visible()
    assert _stored("procurement_actual") == Decimal("1.37")


def test_a_save_that_arrives_after_expiry_keeps_the_input(context: BrowserContext):
    """The page did not know (its clock said there was time): the server answers the save
    with a page that holds the posted values and resubmits them after a new login."""
    page = context.new_page()
    login(page, "filer")
    page.goto(step_url(evaluation(SEED_DEPARTMENT).pk, "figures"))
    figure_input(page, "procurement_actual").fill("1.48")
    _idle_for(context, 31 * 60)
    page.get_by_test_id("save-draft").click()

    kept = page.get_by_test_id("session-expired")
    expect(kept).to_be_visible()
    expect(kept).to_contain_text("登录已过期，内容尚未保存")
    expect(kept).to_contain_text("1.48")  # in 查看保留的内容
    assert _stored("procurement_actual") == Decimal("1.21")
    shot(page, "session-expired-page")

    page.get_by_test_id("resubmit").click()
    expect(kept.get_by_role("alert")).to_contain_text("尚未重新登录")

    other = page.context.new_page()
    login(other, "filer")
    other.close()
    page.get_by_test_id("resubmit").click()
    expect(saved_message(page, "收支数据")).to_be_visible()
    assert _stored("procurement_actual") == Decimal("1.48")


def test_near_the_absolute_cap_the_warning_cannot_be_extended(context: BrowserContext):
    from evaluations import session as policy

    page = context.new_page()
    login(page, "filer")
    store = _session(context)
    store.load()
    store[policy.LOGIN_AT] = time.time() - (8 * 3600 - 90)
    store.save()
    page.goto(step_url(evaluation(SEED_DEPARTMENT).pk, "figures"))
    dialog = page.get_by_test_id("session-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("本次登录已接近时长上限，会话将在 2 分钟后结束")
    expect(dialog.get_by_role("button", name="继续工作")).to_be_hidden()
