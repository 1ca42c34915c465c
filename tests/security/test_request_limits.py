"""Issue 15 items 1, 4 and 5: request bodies are capped before they are read; a storage failure
gives a Chinese page in the site's layout and changes nothing; /healthz checks that storage is
writable; evidence is named after its content and only PDF and images open in the browser."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from evaluations import uploads
from evaluations.models import Evaluation, Evidence, PdfRender, PublishedReport

from .helpers import client_for, docx_bytes, pdf_bytes, png_bytes, text_of

MB = 1024 * 1024


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the body of a too-large request was read")

    readinto = readline = read


def _post_declaring(client: Client, url: str, size: int):
    """A multipart POST whose CONTENT_LENGTH says `size` bytes, with a body nobody may read."""
    return client.generic(
        "POST",
        url,
        data=b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": _Unreadable()},
    )


def test_a_400_mb_upload_is_refused_unread(media, users, seed_eval):
    client = client_for(users["filer"])
    url = reverse("filing:evidence_upload", args=[seed_eval.pk])
    response = _post_declaring(client, url, 400 * MB)
    assert response.status_code == 413
    assert not response.has_header("Connection")  # hop-by-hop: WSGI servers refuse it
    page = text_of(response)
    assert "文件过大" in page and "100 MB" in page
    assert "绩效自评" in page  # the site's layout
    assert not Evidence.objects.exists()


def test_a_file_past_the_per_file_limit_stops_being_received(media, users, seed_eval, settings):
    settings.UPLOAD_FILE_MAX_BYTES = 64 * 1024
    client = client_for(users["filer"])
    big = SimpleUploadedFile("大文件.pdf", pdf_bytes() + b"%" * (200 * 1024))
    response = client.post(
        reverse("filing:evidence_upload", args=[seed_eval.pk]),
        {"indicator": "", "files": [big, SimpleUploadedFile("小.pdf", pdf_bytes("s"))]},
        follow=True,
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "“大文件.pdf”文件过大" in page and "未上传任何文件" in page
    assert not Evidence.objects.exists()


def test_the_finance_bureau_import_reports_a_refused_file(media, users, seed_eval, settings):
    settings.UPLOAD_FILE_MAX_BYTES = 1024
    response = client_for(users["reviewer"]).post(
        reverse("review:import", args=["nansha", 2022]),
        {"file": SimpleUploadedFile("通报.xlsx", b"PK" + b"x" * 4096)},
    )
    assert response.status_code == 400
    assert "文件过大" in text_of(response)


# ---------------------------------------------------------------------------- storage failure


@pytest.fixture
def broken_storage(monkeypatch):
    def fail(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", fail)


def test_a_storage_failure_on_upload_is_a_chinese_page(media, users, seed_eval, broken_storage):
    client = client_for(users["filer"])
    client.raise_request_exception = False
    version = seed_eval.version
    response = client.post(
        reverse("filing:evidence_upload", args=[seed_eval.pk]),
        {"indicator": "", "files": [SimpleUploadedFile("报告.pdf", pdf_bytes())]},
    )
    assert response.status_code == 503
    page = text_of(response)
    assert "文件存储暂时不可用" in page and "数据没有改动" in page and "绩效自评" in page
    assert "Server Error" not in page
    assert not Evidence.objects.exists()
    assert Evaluation.objects.get(pk=seed_eval.pk).version == version


def test_a_storage_failure_on_publish_fails_the_render_with_a_chinese_message(
    media, users, seed_eval, broken_storage, monkeypatch, django_capture_on_commit_callbacks
):
    """Publishing renders in the worker: a storage that refuses the file leaves the evaluation
    审核通过 with nothing published, and the review page says why (with 重新公开)."""
    monkeypatch.setattr("evaluations.reports.render_pdf", lambda e, *, draft: pdf_bytes("pub"))
    Evaluation.objects.filter(pk=seed_eval.pk).update(status="approved")
    client = client_for(users["reviewer"])
    client.raise_request_exception = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:publish", args=[seed_eval.pk]))
    assert response.status_code == 302
    assert not PublishedReport.objects.exists()
    assert Evaluation.objects.get(pk=seed_eval.pk).status == "approved"
    render = PdfRender.objects.get(evaluation=seed_eval, kind=PdfRender.Kind.FINAL)
    assert render.state == PdfRender.State.FAILED
    assert "文件存储暂时不可用" in render.message
    page = client.get(reverse("review:evaluation", args=[seed_eval.pk]))
    assert page.status_code == 200 and "文件存储暂时不可用" in text_of(page)


# ---------------------------------------------------------------------------- /healthz


def test_healthz_writes_and_deletes_a_probe(db, media):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "storage": True}
    assert not any(p.is_file() for p in media.rglob("*"))  # the probe is gone


def test_healthz_is_503_when_storage_is_not_writable(db, media, broken_storage):
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["storage"] is False and body["database"] is True
    assert body["reason"] == "文件存储不可写入"


# ---------------------------------------------------------------------------- evidence names


@pytest.mark.parametrize(
    ("name", "data", "stored", "disposition"),
    [
        ("预算报告.html", png_bytes("h"), "预算报告.png", "inline"),
        ("报告.PDF", pdf_bytes("p"), "报告.PDF", "inline"),
        ("照片.jpeg", b"\xff\xd8\xff\xe0" + b"j" * 20, "照片.jpeg", "inline"),
        ("纪要.svg", pdf_bytes("s"), "纪要.pdf", "inline"),
        ("无扩展名", png_bytes("n"), "无扩展名.png", "inline"),
        ("说明.pdf", docx_bytes("d"), "说明.docx", "attachment"),
    ],
)
def test_evidence_is_named_after_its_content(
    media, users, seed_eval, name, data, stored, disposition
):
    client = client_for(users["filer"])
    client.post(
        reverse("filing:evidence_upload", args=[seed_eval.pk]),
        {"indicator": "", "files": [SimpleUploadedFile(name, data)]},
    )
    evidence = Evidence.objects.get(evaluation=seed_eval)
    assert evidence.original_name == stored
    url = reverse("filing:evidence_download", args=[seed_eval.pk, evidence.pk])
    response = client.get(url + "?inline=1")
    assert response["Content-Disposition"].startswith(disposition)
    assert quote(stored) in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_old_evidence_row_downloads_under_its_contents_name(media, users, seed_eval):
    """Rows stored before the fix keep the uploader's name; the download corrects it."""
    client = client_for(users["filer"])
    client.post(
        reverse("filing:evidence_upload", args=[seed_eval.pk]),
        {"indicator": "", "files": [SimpleUploadedFile("图.png", png_bytes("o"))]},
    )
    Evidence.objects.update(original_name="预算报告.html")
    evidence = Evidence.objects.get()
    url = reverse("filing:evidence_download", args=[seed_eval.pk, evidence.pk])
    disposition = client.get(url + "?inline=1")["Content-Disposition"]
    assert quote("预算报告.png") in disposition and ".html" not in disposition


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("a.jpg", "jpg", "a.jpg"),
        ("a.JPEG", "jpg", "a.JPEG"),
        ("a.html", "jpg", "a.jpg"),
        (".htaccess", "pdf", ".htaccess.pdf"),
        ("a.tar.gz", "xlsx", "a.tar.xlsx"),
        ("长" * 300 + ".exe", "pdf", "长" * 196 + ".pdf"),
    ],
)
def test_corrected_name(name, kind, expected):
    assert uploads.corrected_name(name, uploads.KINDS[kind]) == expected
