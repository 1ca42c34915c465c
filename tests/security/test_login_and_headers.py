"""Login throttling (django-axes) and the audit trail, password rules, the Content-Security-
Policy and inline-code-free pages, and Django's deployment checks under production settings."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import AuditLog, Evidence

from .helpers import PASSWORD, STEPS, audit_rows, client_for, pdf_bytes, text_of

ROOT = Path(__file__).resolve().parents[2]
LOGIN_FAILED_TEXT = "用户名或密码不正确"
LOCKED_TEXT = "登录失败次数过多，该账号已暂时锁定"

# ---------------------------------------------------------------------------- throttling


@pytest.fixture
def axes(settings):
    settings.AXES_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return settings.AXES_FAILURE_LIMIT


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_lockout_after_the_failure_limit_even_with_the_right_password(axes, users):
    """Failures 1…limit-1 show the login form's error; the failure that reaches the limit is
    itself answered with the lockout page (django-axes locks at the limit), and so is the
    next attempt with the right password: status 429 (AXES_HTTP_RESPONSE_CODE)."""
    client = client_for(None)
    for attempt in range(axes - 1):
        response = _login(client, "filer", f"wrong-{attempt}")
        assert response.status_code == 200, attempt
        assert LOGIN_FAILED_TEXT in text_of(response)
    response = _login(client, "filer", "wrong-last")
    assert response.status_code == 429
    assert LOCKED_TEXT in text_of(response)
    response = _login(client, "filer", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_TEXT in text_of(response)
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("filing:home")).status_code == 302  # still anonymous

    failed = audit_rows("login_failed")
    assert len(failed) >= axes
    assert {r.username for r in failed} == {"filer"}
    assert all(r.ip == "127.0.0.1" and r.path == reverse("login") for r in failed)
    assert not audit_rows("login")
    # counted per user name and address and per address: the same user from another address
    # may log in, any user name from this address is locked
    other = client_for(None)
    other.defaults["REMOTE_ADDR"] = "198.51.100.23"
    assert _login(other, "filer", PASSWORD).status_code == 302
    assert _login(client_for(None), "filer2", PASSWORD).status_code == 429


def test_failures_below_the_limit_do_not_lock(axes, users):
    client = client_for(None)
    for attempt in range(axes - 1):
        _login(client, "filer", f"wrong-{attempt}")
    response = _login(client, "filer", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("filing:home")


def test_successful_login_and_logout_are_audited(users):
    client = client_for(None)
    response = _login(client, "filer", PASSWORD)
    assert response.status_code == 302
    [row] = audit_rows("login")
    assert (row.user, row.username, row.ip, row.path) == (
        users["filer"],
        "filer",
        "127.0.0.1",
        reverse("login"),
    )
    client.post(reverse("logout"))
    [row] = audit_rows("logout")
    assert row.user == users["filer"]


def test_unknown_user_failure_is_audited(users):
    _login(client_for(None), "nobody", "x")
    [row] = audit_rows("login_failed")
    assert row.username == "nobody" and row.user is None


# ---------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    "password",
    ["short", "password123", "12345678901234", "qwertyuiop", "filer123", "demo"],
)
def test_weak_passwords_are_rejected(users, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=users["filer"])


def test_a_strong_password_passes(users):
    validate_password("Lantern-绩效-7q2x-Harbour", user=users["filer"])


# ---------------------------------------------------------------------------- audit trail


def test_permission_denied_is_audited(media, users, seed_eval):
    client = client_for(users["filer2"])
    url = reverse("filing:step", args=[seed_eval.pk, "basic"])
    assert client.get(url).status_code == 404
    [row] = audit_rows("permission_denied")
    assert (row.user, row.username, row.detail) == (
        users["filer2"],
        "filer2",
        {"evaluation": seed_eval.pk},
    )
    # a missing evaluation is the same 404 but not a denial
    assert client.get(reverse("filing:step", args=[999999, "basic"])).status_code == 404
    assert len(audit_rows("permission_denied")) == 1


def test_evidence_upload_download_delete_are_audited(media, users, seed_eval):
    client = client_for(users["filer"])
    client.post(
        reverse("filing:evidence_upload", args=[seed_eval.pk]),
        {"indicator": "1.1.2", "files": [SimpleUploadedFile("预算.pdf", pdf_bytes("audit"))]},
    )
    evidence = Evidence.objects.get(evaluation=seed_eval)
    [up] = audit_rows("evidence_upload")
    assert up.user == users["filer"] and up.ip == "127.0.0.1"
    assert up.detail == {
        "evaluation": seed_eval.pk,
        "evidence": evidence.pk,
        "name": "预算.pdf",
        "sha256": evidence.sha256,
    }
    assert up.path == reverse("filing:evidence_upload", args=[seed_eval.pk])

    response = client_for(users["reviewer"]).get(
        reverse("filing:evidence_download", args=[seed_eval.pk, evidence.pk])
    )
    assert b"".join(response.streaming_content) == pdf_bytes("audit")
    [down] = audit_rows("evidence_download")
    assert down.user == users["reviewer"]
    assert down.detail == {"evaluation": seed_eval.pk, "evidence": evidence.pk}

    client.post(reverse("filing:evidence_delete", args=[seed_eval.pk, evidence.pk]))
    [gone] = audit_rows("evidence_delete")
    assert gone.user == users["filer"]
    assert gone.detail == {
        "evaluation": seed_eval.pk,
        "evidence": evidence.pk,
        "name": "预算.pdf",
        "sha256": up.detail["sha256"],
        "indicators": ["1.1.2"],
    }
    [attached] = audit_rows("evidence_attach")  # the upload was for indicator 1.1.2
    assert attached.detail == {
        "evaluation": seed_eval.pk,
        "evidence": evidence.pk,
        "indicator": "1.1.2",
    }
    assert AuditLog.objects.filter(event__startswith="evidence_").count() == 4


# ---------------------------------------------------------------------------- CSP, inline code


class _InlineCode(HTMLParser):
    """Inline script, inline style, event-handler attributes and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inline: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            if (
                name in ("href", "src", "action", "formaction")
                and (value or "").strip().lower()[:11] == "javascript:"
            ):
                self.problems.append(f'<{tag} {name}="{value}">')
        if tag == "script" and "src" not in a and a.get("type") != "application/json":
            self._inline = "script"
        elif tag == "style":
            self._inline = "style"

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._inline = None

    def handle_data(self, data):
        if self._inline and data.strip():
            self.problems.append(f"inline <{self._inline}>: {data.strip()[:60]}")


def _csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _check_page(label, response, problems):
    if not response["Content-Type"].startswith("text/html"):
        problems.append(f"{label}: not an HTML page ({response['Content-Type']})")
        return
    csp = _csp(response)
    script_src = csp.get("script-src", csp.get("default-src"))
    if script_src is None:
        problems.append(f"{label}: no Content-Security-Policy script-src")
    elif {"'unsafe-inline'", "'unsafe-eval'"} & set(script_src):
        problems.append(f"{label}: script-src {script_src}")
    if "'unsafe-inline'" in csp.get("style-src", []):
        problems.append(f"{label}: style-src {csp['style-src']}")
    if csp.get("object-src") != ["'none'"] or csp.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{label}: object-src/frame-ancestors {csp}")
    for header, value in (
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ):
        if response.headers.get(header) != value:
            problems.append(f"{label}: {header} {response.headers.get(header)!r}")
    finder = _InlineCode()
    finder.feed(response.content.decode())
    problems.extend(f"{label}: {p}" for p in finder.problems)


def _pages(world):
    """(label, client, method, url, data, expected status) for every kind of HTML page."""
    e = world.evaluation
    filer, reviewer = client_for(world.roles["filer"]), client_for(world.roles["reviewer"])
    admin, anonymous = client_for(world.roles["admin"]), client_for(None)
    pages = [
        ("login", anonymous, "get", reverse("login"), None, 200),
        ("login failed", anonymous, "post", reverse("login"), {"username": "x"}, 200),
        ("public list", anonymous, "get", reverse("public:list"), None, 200),
        ("public list, logged in", filer, "get", reverse("public:list"), None, 200),
        ("home", filer, "get", reverse("filing:home"), None, 200),
        ("history", filer, "get", reverse("filing:history", args=[e.pk]), None, 200),
        (
            "dashboard",
            reviewer,
            "get",
            reverse("review:dashboard", args=["nansha", 2022]),
            None,
            200,
        ),
        ("review page", reviewer, "get", reverse("review:evaluation", args=[e.pk]), None, 200),
        ("review page, admin", admin, "get", reverse("review:evaluation", args=[e.pk]), None, 200),
        ("import", reviewer, "get", reverse("review:import", args=["nansha", 2022]), None, 200),
        (
            "import error",
            reviewer,
            "post",
            reverse("review:import", args=["nansha", 2022]),
            {},
            400,
        ),
        ("job", reviewer, "get", reverse("review:job", args=[world.job.pk]), None, 200),
        ("not found", filer, "get", reverse("filing:step", args=[e.pk, "nope"]), None, 404),
        (
            "step with errors",
            filer,
            "post",
            reverse("filing:step", args=[e.pk, "figures"]),
            {"version": str(e.version), "initial_budget": "abc"},
            200,
        ),
    ]
    for step in STEPS:
        url = reverse("filing:step", args=[e.pk, step])
        pages.append((f"step {step}", filer, "get", url, None, 200))
        pages.append((f"step {step}, reviewer", reviewer, "get", url, None, 200))
    return pages


def test_html_pages_have_csp_and_no_inline_code(world):
    problems: list[str] = []
    pages = _pages(world)
    for label, client, method, url, data, status in pages:
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        if response.status_code != status:
            problems.append(f"{label}: status {response.status_code}, expected {status}")
            continue
        _check_page(label, response, problems)
    assert len(pages) > 25
    assert not problems, "\n".join(problems)


def test_lockout_page_has_csp_and_no_inline_code(axes, users):
    client = client_for(None)
    for attempt in range(axes + 1):
        response = _login(client, "filer", f"wrong-{attempt}")
    assert response.status_code == 429
    problems: list[str] = []
    _check_page("lockout", response, problems)
    assert not problems, "\n".join(problems)


def test_step_with_errors_really_shows_errors(world):
    """The 'step with errors' page above is the error page, not a saved form."""
    e = world.evaluation
    response = client_for(world.roles["filer"]).post(
        reverse("filing:step", args=[e.pk, "figures"]),
        {"version": str(e.version), "initial_budget": "abc"},
    )
    assert 'data-testid="error-summary"' in response.content.decode()


# ---------------------------------------------------------------------------- deployment


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="example.gov.cn",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "security.W" not in output, output


def test_production_settings_are_secure():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.ALLOWED_HOSTS, s.AXES_ENABLED, s.AUTHENTICATION_BACKENDS[0]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    debug, session_secure, csrf_secure, httponly, ssl, hsts, hosts, axes, backend = json.loads(last)
    assert debug is False
    assert session_secure is True and csrf_secure is True and httponly is True
    assert ssl is True and hsts >= 31536000
    assert hosts == ["example.gov.cn"]
    assert axes is True and backend == "axes.backends.AxesStandaloneBackend"


def test_production_settings_refuse_a_missing_secret_key():
    env = _production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
