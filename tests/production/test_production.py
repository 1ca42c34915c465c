"""The production path end to end, over real HTTP only (issue 17): gunicorn and db_worker
started by scripts/app.sh with production settings, PostgreSQL, an S3-compatible server and
an SMTP sink on loopback (tests/production/conftest.py starts and stops every process).

Written against what a person sees over HTTP, so it holds whether publishing renders the PDF
in the request or in the worker: after "publish" it polls the public page for the PDF."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import uuid
import zipfile
from html import unescape

import pytest
import requests

from tests.evaluations.filing_helpers import form_data

from .conftest import create_database, drop_database
from .processes import ROOT, port_open, wait_for

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="生产环境冒烟测试只在 PostgreSQL 上运行（设置 DATABASE_URL=postgres://…）",
    ),
]

PASSWORD = "demo-pass-2022"
TIMEOUT = 120  # one request; a publication that renders in the request takes seconds
SLOW = 240  # the worker's PDFs, on CI's two busy cores


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "页面上没有 CSRF 令牌"
    return match.group(1)


def _text(response: requests.Response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.text))


def flash(response: requests.Response) -> str:
    """The page's messages (success or error), as text."""
    found = re.findall(r'<div class="alert [^"]*"[^>]*>(.*?)</div>', response.text, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in found)


def login(base: str, username: str) -> requests.Session:
    """Through the login page, as a browser: its CSRF cookie and token, then the form."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    assert page.status_code == 200
    done = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": _csrf(page.text), "username": username, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert done.status_code == 302, f"{username} 登录失败：{_text(done)[:500]}"
    return session


def post(session: requests.Session, base: str, path: str, page: str, **data) -> requests.Response:
    """A form post from `page` (for its CSRF token), following the redirect."""
    form_page = session.get(f"{base}{page}", timeout=TIMEOUT)
    assert form_page.status_code == 200, page
    response = session.post(
        f"{base}{path}",
        data={"csrfmiddlewaretoken": _csrf(form_page.text), **data},
        headers={"Referer": f"{base}{page}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, f"{path}: {response.status_code}"
    errors = re.findall(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', response.text)
    assert not errors, f"{path}: {errors}"
    return response


def submit(filer: requests.Session, base: str, pk: int) -> requests.Response:
    page = filer.get(f"{base}/evaluations/{pk}/step/review/", timeout=TIMEOUT)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version, f"没有“提交自评”按钮：{_text(page)[:800]}"
    response = post(
        filer,
        base,
        f"/evaluations/{pk}/submit/",
        f"/evaluations/{pk}/step/review/",
        version=version.group(1),
    )
    assert "已提交" in flash(response), flash(response)
    return response


def mails(stack, address: str, subject_part: str, count: int = 1):
    return wait_for(
        f"{address} 收到 {count} 封“{subject_part}”邮件",
        lambda: (
            found
            if len(found := [m for m in stack.mail.to(address) if subject_part in m["Subject"]])
            >= count
            else None
        ),
        SLOW,
    )


def evidence_pdf() -> bytes:
    """A real one-page PDF, unique (an identical file would be refused as a duplicate)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"冒烟测试佐证 {uuid.uuid4().hex}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def published_link(base: str, headers: dict[str, str]) -> str | None:
    page = requests.get(f"{base}/public/", headers=headers, timeout=TIMEOUT)
    assert page.status_code == 200
    match = re.search(r'href="(/public/reports/\d+/)"', page.text)
    return match.group(1) if match else None


def download_published(base: str, headers: dict[str, str] | None = None) -> tuple[bytes, str]:
    """As an anonymous visitor: the public list, then the PDF; the bytes and the recorded
    SHA-256 the response carries."""
    headers = headers or {}
    link = wait_for("公开页面出现 PDF", lambda: published_link(base, headers), SLOW)
    response = requests.get(f"{base}{link}", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response.content, response.headers["X-Content-SHA256"]


def test_file_review_publish_evidence_bulk_job_backup_and_restore(stack, tmp_path):
    base = stack.base_url

    # Production settings really in force: no debug page, static files from whitenoise.
    missing = requests.get(f"{base}/no-such-page/", timeout=TIMEOUT)
    assert missing.status_code == 404
    assert "Traceback" not in missing.text and "DEBUG = True" not in missing.text
    login_page = requests.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    css = re.search(r'href="(/static/[^"]+\.css)"', login_page.text)
    assert css, "登录页没有样式表"
    assert requests.get(f"{base}{css.group(1)}", timeout=TIMEOUT).status_code == 200

    # The filer edits a step and uploads an evidence file, which lands in the bucket.
    filer = login(base, "filer")
    home = filer.get(f"{base}/", timeout=TIMEOUT)
    pk = int(re.search(r'href="/evaluations/(\d+)/', home.text).group(1))
    duty = f"/evaluations/{pk}/step/duty/"
    data = form_data(filer.get(f"{base}{duty}", timeout=TIMEOUT).text)
    added = f"（生产环境冒烟测试 {uuid.uuid4().hex[:6]}）"
    data["goal_completion"] += added
    saved = filer.post(
        f"{base}{duty}", data=data, headers={"Referer": f"{base}{duty}"}, timeout=TIMEOUT
    )
    assert saved.status_code == 200
    assert added in filer.get(f"{base}{duty}", timeout=TIMEOUT).text

    before = set(stack.bucket_objects())
    evidence = evidence_pdf()
    review_step = f"/evaluations/{pk}/step/review/"
    page = filer.get(f"{base}{review_step}", timeout=TIMEOUT)
    uploaded = filer.post(
        f"{base}/evaluations/{pk}/evidence/",
        data={"csrfmiddlewaretoken": _csrf(page.text), "indicator": "", "next": review_step},
        files={"files": ("冒烟测试佐证.pdf", evidence, "application/pdf")},
        headers={"Referer": f"{base}{review_step}"},
        timeout=TIMEOUT,
    )
    assert uploaded.status_code == 200
    assert "已上传 1 个文件" in flash(uploaded), flash(uploaded)
    stored = {k: v for k, v in stack.bucket_objects().items() if k not in before}
    assert list(stored.values()) == [evidence], sorted(stored)
    assert next(iter(stored)).startswith(f"evidence/{pk}/")
    link = re.search(rf'href="(/evaluations/{pk}/evidence/\d+/)[^"]*"', uploaded.text)
    assert link, "页面上没有佐证材料的下载链接"
    assert filer.get(f"{base}{link.group(1)}", timeout=TIMEOUT).content == evidence

    # The seed case's self-assessed scores differ from the computed ones in places: the filer
    # gives the reasons the 核对与提交 step asks for, on the 管理效率 step.
    problems = re.findall(
        r'data-testid="blocking-problem">.*?<a href="/evaluations/\d+/step/management/#([\w-]+)"',
        filer.get(f"{base}{review_step}", timeout=TIMEOUT).text,
    )
    management = f"/evaluations/{pk}/step/management/"
    data = form_data(filer.get(f"{base}{management}", timeout=TIMEOUT).text)
    for anchor in problems:
        assert f"{anchor}-reason" in data, anchor
        data[f"{anchor}-reason"] = "按部门年度实际完成情况自评（生产环境冒烟测试）。"
    filer.post(
        f"{base}{management}",
        data=data,
        headers={"Referer": f"{base}{management}"},
        timeout=TIMEOUT,
    )

    # Submitted: the reviewer is told by e-mail, through the SMTP server.
    submit(filer, base, pk)
    (notice,) = mails(stack, "reviewer@example.cn", "待审核")
    assert f"/review/evaluations/{pk}/" in notice.get_content()

    # Returned with a comment; the filer is told and submits again.
    reviewer = login(base, "reviewer")
    page = f"/review/evaluations/{pk}/"
    post(reviewer, base, f"{page}return/", page, comment="请补充佐证材料说明。")
    (returned,) = mails(stack, "filer@example.cn", "已退回")
    assert "请补充佐证材料说明。" in returned.get_content()
    submit(filer, base, pk)
    mails(stack, "reviewer@example.cn", "待审核", count=2)

    # Approved and published; an anonymous visitor downloads the PDF the worker or the
    # request rendered, with the SHA-256 recorded at publication, stored in the bucket.
    post(reviewer, base, f"{page}approve/", page, comment="")
    mails(stack, "filer@example.cn", "已审核通过")
    post(reviewer, base, f"{page}publish/", page)
    pdf, recorded = download_published(base)
    assert sha256(pdf) == recorded
    in_bucket = {k: sha256(v) for k, v in stack.bucket_objects().items()}
    assert recorded in {d for k, d in in_bucket.items() if k.startswith("published/")}, in_bucket

    # A bulk job runs in the worker; its progress is read over HTTP while it runs.
    dashboard = re.search(r'href="(/review/[\w-]+/\d{4}/)"', reviewer.get(f"{base}/review/").text)
    assert dashboard, "审核首页没有年度看板链接"
    started = post(reviewer, base, f"{dashboard.group(1)}jobs/render_drafts/", dashboard.group(1))
    job = re.search(r"/review/jobs/(\d+)/$", started.url)
    assert job, started.url
    assert 'aria-label="进度"' in started.text and "生成全部部门的草稿 PDF" in started.text
    seen = []

    def finished():
        status = reviewer.get(f"{base}/review/jobs/{job.group(1)}/status/", timeout=TIMEOUT)
        assert status.status_code == 200
        seen.append(status.json())
        return seen[-1] if seen[-1]["state"] in ("done", "failed") else None

    final = wait_for("批量任务完成", finished, SLOW)
    assert final["state"] == "done", final
    assert final["total"] >= 1 and final["done"] == final["total"] and final["percent"] == 100
    assert any(s["state"] in ("queued", "running") for s in seen), seen
    page = reviewer.get(started.url, timeout=TIMEOUT).text
    assert 'data-state="done"' in page and 'aria-valuenow="100"' in page
    archive = reviewer.get(f"{base}{final['result']}", timeout=TIMEOUT)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
        assert any(name.endswith(".pdf") for name in zf.namelist())
    assert any(k.startswith("jobs/") for k in stack.bucket_objects())

    # Backup of the database and the bucket; restored into a new database and a new bucket,
    # a second gunicorn serves the same published PDF. That one runs as behind the HTTPS
    # proxy of a real deployment (its own host name only, HTTPS redirect on): the requests
    # come as the proxy forwards them, and the compose health check still passes.
    backup = tmp_path / "backup"
    stack.run("bash", "scripts/backup.sh", str(backup))
    assert (backup / "db.dump").stat().st_size > 0
    assert (backup / "media.tar.gz").stat().st_size > 0
    name = f"jixiao_restored_{uuid.uuid4().hex[:8]}"
    restored_env = {
        **stack.env,
        "DATABASE_URL": create_database(name),
        "S3_BUCKET": "jixiao-restored",
        "DJANGO_ALLOWED_HOSTS": "jixiao.example.cn",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_SECURE_COOKIES": "1",
    }
    try:
        # The operator gives restore an empty bucket (compose's createbucket service does).
        stack.s3_client().create_bucket(Bucket="jixiao-restored")
        stack.run("bash", "scripts/restore.sh", str(backup), env=restored_env)
        # Every file the database refers to (the backup's manifest) is back, byte for byte.
        listed = {f["name"] for f in json.loads((backup / "manifest.json").read_text())["files"]}
        assert any(n.startswith("published/") for n in listed), listed
        originals = {k: v for k, v in stack.bucket_objects().items() if k in listed}
        assert stack.bucket_objects("jixiao-restored") == originals
        proc, restored = stack.start_web(restored_env, "web-restored")
        assert requests.get(f"{restored}/healthz", timeout=TIMEOUT).status_code == 400
        stack.run(sys.executable, "scripts/healthcheck.py", env=proc.env)
        pdf_again, recorded_again = download_published(
            restored, {"Host": "jixiao.example.cn", "X-Forwarded-Proto": "https"}
        )
        assert sha256(pdf_again) == recorded_again == recorded
        proc.stop()
    finally:
        for proc in stack.extra:
            proc.stop()
        drop_database(name)


def test_healthz_follows_the_storage(stack):
    """/healthz: 200, then 503 while the S3 server is down, then 200 again once it is back."""
    base = stack.base_url

    def health(expected: int):
        response = requests.get(f"{base}/healthz", timeout=TIMEOUT)
        return response.json() if response.status_code == expected else None

    def container_check() -> subprocess.CompletedProcess:
        """docker-compose's health check of the web service, the same script."""
        return subprocess.run(
            [sys.executable, "scripts/healthcheck.py"],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert wait_for("/healthz 为 200", lambda: health(200), 30)["storage"] is True
    assert container_check().returncode == 0
    stack.s3.stop()
    down = wait_for("S3 停止后 /healthz 为 503", lambda: health(503), 90)
    assert down["storage"] is False and down["database"] is True
    failed = container_check()
    assert failed.returncode == 1 and "/healthz 503" in failed.stdout, failed.stdout
    stack.s3.start()
    wait_for("S3 服务重新监听", lambda: port_open(stack.s3_port), 60, stack.s3)
    # moto keeps its buckets in memory: the restarted server has to be given it again.
    stack.s3_client().create_bucket(Bucket=stack.bucket)
    up = wait_for("S3 恢复后 /healthz 为 200", lambda: health(200), 90)
    assert up["storage"] is True
    assert container_check().returncode == 0
