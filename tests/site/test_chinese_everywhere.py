"""Chinese everywhere (issue 13 item 6): the 400, 403, 404, 405, 500 and CSRF pages in the
site's layout, the admin's sections (third-party apps included), the file input."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import path

from config.urls import urlpatterns as site_urls

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")


def _raise(exc):
    def view(request):
        raise exc

    return view


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("t/400/", _raise(SuspiciousOperation("bad"))),
    path("t/403/", _raise(PermissionDenied())),
    path("t/404/", _raise(Http404("No Evaluation matches the given query."))),
    path("t/500/", _boom),
    *site_urls,
]


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_chinese_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    text = visible_text(response)
    assert heading in text
    assert 'lang="zh-CN"' in response.content.decode()
    assert "跳到主要内容" in text  # the site's layout, skip link included
    # no English sentence: every run of Latin letters is a code, a name or a number
    words = re.findall(r"[A-Za-z]{4,}", text)
    allowed = {"debug", "cookie", "excel", "filer"}  # filer: the user's name in the navbar
    assert not [w for w in words if w.lower() not in allowed], words
    return text


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/t/400/", 400, "请求有误，无法处理"),
        ("/t/403/", 403, "没有权限访问此页面"),
        ("/t/404/", 404, "找不到这个页面"),
        ("/no/such/page/", 404, "找不到这个页面"),
    ],
)
def test_error_pages_are_chinese_in_the_site_layout(url, status, heading):
    text = assert_chinese_page(Client().get(url), status, heading)
    assert "No Evaluation matches" not in text  # an exception's English text is never shown
    assert "返回首页" in text


@override_settings(ROOT_URLCONF=__name__)
def test_500_page_needs_no_context_and_no_database():
    client = Client(raise_request_exception=False)
    response = client.get("/t/500/")
    assert_chinese_page(response, 500, "系统暂时出错")
    # rendered with an empty context: nothing in it asks for the user or the database
    html = render_to_string("500.html")
    assert "系统暂时出错" in html


def test_405_page_keeps_the_allow_header(users_client):
    response = users_client.get("/evaluations/1/submit/")
    assert_chinese_page(response, 405, "此页面不支持这种访问方式")
    assert response["Allow"] == "POST"


def test_a_405_with_a_body_is_left_alone():
    from django.http import HttpResponse

    from config.errors import MethodNotAllowedMiddleware

    body = HttpResponse('{"error": "只接受 POST"}', status=405, content_type="application/json")
    response = MethodNotAllowedMiddleware(lambda request: body)(None)
    assert response is body


def test_csrf_failure_page_is_chinese_and_says_what_to_do(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["filer"])
    response = client.post("/evaluations/1/submit/", {"version": "1"})
    text = assert_chinese_page(response, 403, "页面已过期，操作未完成")
    assert "DEBUG" not in text and "CSRF" not in text
    assert "刷新页面后再提交" in text


# ---------------------------------------------------------------------------- the admin


def test_every_admin_section_and_model_is_named_in_chinese(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    sections = re.findall(r"<caption>\s*<a [^>]*>(.*?)</a>", html, re.S)
    models = re.findall(r'<th scope="row" id="[^"]*">\s*<a [^>]*>(.*?)</a>', html, re.S)
    assert sections and models
    for name in sections + models:
        assert HAN.search(name), f"admin name not in Chinese: {name!r}"
    for expected in ("登录安全", "后台任务", "登录失败记录", "登录日志"):
        assert expected in html
    for english in ("Access attempts", "Task Results", "Axes", "Tasks Database Backend"):
        assert english not in html
    assert "绩效自评 管理后台" in html


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/admin/axes/accessattempt/", ("登录失败记录", "IP 地址", "用户名")),
        ("/admin/axes/accesslog/", ("登录日志",)),
        ("/admin/django_tasks_database/dbtaskresult/", ("后台任务",)),
    ],
)
def test_third_party_admin_pages_are_chinese(admin_client, url, words):
    from axes.models import AccessAttempt, AccessLog

    AccessAttempt.objects.create(username="filer", ip_address="10.0.0.1", failures_since_start=2)
    AccessLog.objects.create(username="filer", ip_address="10.0.0.1")
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for word in words:
        assert word in html
    for english in ("Access attempt", "Task result", "Attempt Time", "IP Address"):
        assert english not in html


# ---------------------------------------------------------------------------- the file input


def test_file_input_component_is_chinese_and_keyboard_reachable():
    html = render_to_string(
        "_file_input.html",
        {"id": "f1", "name": "files", "multiple": True, "label": "选择佐证材料文件"},
    )
    tag = re.search(r"<input[^>]*>", html).group(0)
    assert 'type="file"' in tag and "multiple" in tag
    assert 'aria-label="选择佐证材料文件"' in tag
    assert "tabindex" not in tag and "hidden" not in tag.replace("visually-hidden", "")
    assert '<label for="f1"' in html and "选择文件" in html
    assert "未选择文件（可多选）" in html


def test_admin_rubric_upload_uses_the_chinese_file_input(admin_client):
    html = admin_client.get("/admin/evaluations/rubricversion/add/").content.decode()
    assert 'class="file-pick-input"' in html and "未选择文件" in html
    assert "js/file-input.js" in html


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def users(seeded):
    User = get_user_model()
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def users_client(users):
    client = Client()
    client.force_login(users["filer"])
    return client


@pytest.fixture
def admin_client(users):
    client = Client()
    client.force_login(users["admin"])
    return client


def test_file_input_on_a_step_page_takes_nothing_from_the_page(users_client):
    """The include is `only`: the step's own `form` once leaked into the file input's form=""
    attribute, which put a second copy of every figure input on the page."""
    from evaluations.models import Evaluation

    seed = Evaluation.objects.get(department__code="nansha-cppcc-office")
    html = users_client.get(f"/evaluations/{seed.pk}/step/figures/").content.decode()
    assert len(re.findall(r'<input[^>]*name="procurement_planned"', html)) == 1
    tag = re.search(r'<input type="file"[^>]*id="template-file"[^>]*>', html).group(0)
    assert "form=" not in tag and "<" not in tag[1:]
