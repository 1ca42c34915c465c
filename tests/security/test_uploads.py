"""佐证材料 uploads: the type is decided by the content (evaluations.uploads), files are stored
under a random name outside the web root with their SHA-256, served only through the
permission-checked download view, and frozen once the evaluation is submitted."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations import services, uploads
from evaluations.models import Evidence
from evaluations.parsing import InputError

from .conftest import make_submittable
from .helpers import (
    client_for,
    docx_bytes,
    exe_bytes,
    jpg_bytes,
    messages_of,
    ofd_bytes,
    pdf_bytes,
    png_bytes,
    text_of,
    xlsx_bytes,
    zip_bytes,
)

MB = 1024 * 1024

# ---------------------------------------------------------------------------- the sniffer


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("报告.pdf", pdf_bytes(), "pdf"),
        ("照片.jpg", jpg_bytes(), "jpg"),
        ("截图.png", png_bytes(), "png"),
        ("纪要.docx", docx_bytes(), "docx"),
        ("台账.xlsx", xlsx_bytes(), "xlsx"),
        ("凭证.ofd", ofd_bytes(), "ofd"),
        # the content decides, not the name
        ("scan.pdf", png_bytes(), "png"),
        ("表格.docx", xlsx_bytes(), "xlsx"),
        ("no-extension", pdf_bytes(), "pdf"),
        ("photo.JPEG.exe", jpg_bytes(), "jpg"),
    ],
)
def test_kind_is_decided_by_content(name, data, kind):
    assert uploads.validate(name, io.BytesIO(data), len(data), MB).key == kind
    assert uploads.sniff_bytes(data).key == kind


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.pdf", exe_bytes(), "不支持的文件类型"),
        ("page.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "不支持"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "不支持"),
        ("notes.docx", zip_bytes({"readme.txt": "hello"}), "不支持的压缩文件"),
        ("half.docx", zip_bytes({"word/document.xml": "<w/>"}), "不支持的压缩文件"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00garbage" * 20, "文件已损坏"),
        ("empty.pdf", b"", "文件为空"),
        ("x" * 197 + ".pdf", pdf_bytes(), "文件名过长"),
    ],
)
def test_refused_files(name, data, message):
    with pytest.raises(InputError, match=message):
        uploads.validate(name, io.BytesIO(data), len(data), MB)


def test_over_the_limit_is_refused():
    data = pdf_bytes() + b"%" * 2000
    with pytest.raises(InputError, match="文件过大"):
        uploads.validate("big.pdf", io.BytesIO(data), len(data), 1024)
    assert uploads.validate("ok.pdf", io.BytesIO(data), len(data), len(data)).key == "pdf"


# ---------------------------------------------------------------------------- through the view


@pytest.fixture
def draft(media, users, seed_eval):
    return seed_eval


def _upload(client, evaluation, files, indicator=""):
    return client.post(
        reverse("filing:evidence_upload", args=[evaluation.pk]),
        {"indicator": indicator, "files": files},
        follow=True,
    )


def _download(client, evaluation, evidence, inline=False):
    url = reverse("filing:evidence_download", args=[evaluation.pk, evidence.pk])
    response = client.get(url + ("?inline=1" if inline else ""))
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def test_several_files_are_stored_under_random_names_with_their_sha256(draft, users, media):
    originals = {
        "预算评估报告-2022.pdf": pdf_bytes("report"),
        "现场照片.jpg": png_bytes("photo"),  # a PNG body under a .jpg name
        "会议纪要.docx": docx_bytes("minutes"),
    }
    files = [SimpleUploadedFile(n, data) for n, data in originals.items()]
    response = _upload(client_for(users["filer"]), draft, files, indicator="1.1.3")
    assert "已上传 3 个文件并关联到指标 1.1.3。" in messages_of(response)

    stored = {e.original_name: e for e in Evidence.objects.filter(evaluation=draft)}
    # the PNG under a .jpg name is stored under its content's extension (issue 15)
    assert set(stored) == {"预算评估报告-2022.pdf", "现场照片.png", "会议纪要.docx"}
    assert stored["现场照片.png"].content_type == "image/png"
    assert stored["预算评估报告-2022.pdf"].content_type == "application/pdf"
    evidence_root = (Path(settings.MEDIA_ROOT) / "evidence").resolve()
    for name, evidence in stored.items():
        data = originals[name.replace("现场照片.png", "现场照片.jpg")]
        storage_name = evidence.file.name
        assert storage_name.startswith(f"evidence/{draft.pk}/")
        stem, _, ext = name.rpartition(".")
        for part in (stem, ext, *re.split(r"[-.]", stem)):
            assert part.lower() not in storage_name.lower(), (name, storage_name)
        path = Path(evidence.file.path).resolve()
        assert path.is_relative_to(evidence_root) and path.is_relative_to(media.resolve())
        assert path.read_bytes() == data
        assert evidence.sha256 == hashlib.sha256(data).hexdigest()
        assert evidence.size == len(data)
        assert [link.indicator_code for link in evidence.links.all()] == ["1.1.3"]


def test_stored_files_are_not_reachable_by_url(draft, users):
    """Nothing serves MEDIA_ROOT: the storage path is a 404 for the filer who uploaded it."""
    client = client_for(users["filer"])
    _upload(client, draft, [SimpleUploadedFile("a.pdf", pdf_bytes("url"))])
    evidence = Evidence.objects.get(evaluation=draft)
    for url in (
        "/" + evidence.file.name,
        "/media/" + evidence.file.name,
        (settings.MEDIA_URL or "/") + evidence.file.name,
    ):
        assert client.get(url).status_code == 404, url
    static_roots = [Path(settings.STATIC_ROOT).resolve()] + [
        Path(d[1] if isinstance(d, tuple) else d).resolve() for d in settings.STATICFILES_DIRS
    ]
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert not any(media_root.is_relative_to(s) for s in static_roots)


def test_duplicate_content_is_reused_not_stored_twice(draft, users):
    """Issue 13: the same content uploaded again (for another indicator, or twice in one
    request) is the library's file, attached where the upload was meant to go."""
    client = client_for(users["filer"])
    _upload(client, draft, [SimpleUploadedFile("原件.pdf", pdf_bytes("dup"))], indicator="1.1.2")
    response = _upload(
        client, draft, [SimpleUploadedFile("副本.pdf", pdf_bytes("dup"))], indicator="1.1.3"
    )
    [message] = messages_of(response)
    assert message == (
        "“副本.pdf”与材料库中的“原件.pdf”内容相同，未重复保存，已改用库中的文件并关联到指标 1.1.3。"
    )
    [evidence] = Evidence.objects.filter(evaluation=draft)
    assert sorted(link.indicator_code for link in evidence.links.all()) == ["1.1.2", "1.1.3"]
    # the same file twice in one request: stored once
    response = _upload(
        client,
        draft,
        [
            SimpleUploadedFile("甲.png", png_bytes("two")),
            SimpleUploadedFile("乙.png", png_bytes("two")),
        ],
    )
    assert "已上传 1 个文件。" in messages_of(response)
    assert any(m.startswith("“乙.png”与材料库中的“甲.png”内容相同") for m in messages_of(response))
    assert Evidence.objects.filter(evaluation=draft).count() == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.pdf", exe_bytes(), "“setup.pdf”未上传：不支持的文件类型（按文件内容判断）"),
        ("空文件.pdf", b"", "“空文件.pdf”未上传：文件为空。"),
        ("大文件.pdf", pdf_bytes() + b"%" * 3000, "“大文件.pdf”未上传：文件过大"),
        ("archive.docx", zip_bytes({"a.txt": "x"}), "“archive.docx”未上传：不支持的压缩文件"),
        ("坏.xlsx", b"PK\x03\x04not really a zip", "“坏.xlsx”未上传：文件已损坏"),
    ],
)
def test_refused_uploads_through_the_view(draft, users, settings, media, name, data, message):
    settings.EVIDENCE_MAX_BYTES = 2048
    response = _upload(client_for(users["filer"]), draft, [SimpleUploadedFile(name, data)])
    assert any(m.startswith(message) for m in messages_of(response)), messages_of(response)
    assert not Evidence.objects.filter(evaluation=draft).exists()
    assert not list((media / "evidence").rglob("*")) if (media / "evidence").exists() else True


# ---------------------------------------------------------------------------- download


@pytest.mark.parametrize(
    ("name", "data", "content_type", "inline"),
    [
        ("预算评估报告.pdf", pdf_bytes("d1"), "application/pdf", True),
        ("照片.jpg", jpg_bytes("d2"), "image/jpeg", True),
        ("截图.png", png_bytes("d3"), "image/png", True),
        ("纪要.docx", docx_bytes("d4"), uploads.KINDS["docx"].content_type, False),
        ("台账.xlsx", xlsx_bytes("d5"), uploads.KINDS["xlsx"].content_type, False),
        ("凭证.ofd", ofd_bytes("d6"), "application/ofd", False),
    ],
)
def test_download_inline_only_for_pdf_and_images(draft, users, name, data, content_type, inline):
    client = client_for(users["filer"])
    _upload(client, draft, [SimpleUploadedFile(name, data)])
    evidence = Evidence.objects.get(evaluation=draft)
    rfc5987 = f"filename*=utf-8''{quote(name)}"

    response, body = _download(client, draft, evidence, inline=True)
    assert response.status_code == 200 and body == data
    assert response["Content-Type"] == content_type
    disposition = "inline" if inline else "attachment"
    assert response["Content-Disposition"] == f"{disposition}; {rfc5987}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"

    response, body = _download(client, draft, evidence)
    assert body == data
    assert response["Content-Disposition"] == f"attachment; {rfc5987}"


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ('a"b;c.pdf', r'attachment; filename="a\"b;c.pdf"'),
        ("报告\r\nX-Evil: 1.pdf", "attachment; filename*=utf-8''" + quote("报告\r\nX-Evil: 1.pdf")),
    ],
)
def test_download_name_is_quoted_or_encoded(draft, users, name, disposition):
    """Names with quotes, semicolons or line breaks cannot break out of the header. (Created
    through the service: Django's test client does not escape quotes in multipart names.)"""
    evidence = services.evidence_upload(
        draft.pk,
        users["filer"],
        indicator_code="",
        upload=SimpleUploadedFile(name, pdf_bytes(name)),
    )
    response, _ = _download(client_for(users["filer"]), draft, evidence)
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert "X-Evil" not in response.headers


def test_other_department_gets_404_on_download_and_delete(draft, users):
    _upload(client_for(users["filer"]), draft, [SimpleUploadedFile("a.pdf", pdf_bytes("o"))])
    evidence = Evidence.objects.get(evaluation=draft)
    other = client_for(users["filer2"])
    response, _ = _download(other, draft, evidence)
    assert response.status_code == 404
    response = other.post(reverse("filing:evidence_delete", args=[draft.pk, evidence.pk]))
    assert response.status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert Path(evidence.file.path).exists()
    # filer2's own evaluation with filer's evidence id: not found either
    own = users["filer2"].departments.get().evaluations.get()
    response, _ = _download(other, own, evidence)
    assert response.status_code == 404


def test_delete_while_editable_removes_row_and_file(
    draft, users, django_capture_on_commit_callbacks
):
    client = client_for(users["filer"])
    _upload(client, draft, [SimpleUploadedFile("a.pdf", pdf_bytes("del"))])
    evidence = Evidence.objects.get(evaluation=draft)
    path = Path(evidence.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("filing:evidence_delete", args=[draft.pk, evidence.pk]), follow=True
        )
    assert "佐证材料已删除。" in messages_of(response)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not path.exists()


def test_delete_and_upload_refused_once_submitted(draft, users):
    client = client_for(users["filer"])
    _upload(client, draft, [SimpleUploadedFile("a.pdf", pdf_bytes("frozen"))], indicator="1.1.2")
    evidence = Evidence.objects.get(evaluation=draft)
    make_submittable(draft, users["filer"])
    response = client.post(
        reverse("filing:submit", args=[draft.pk]), {"version": draft.version}, follow=True
    )
    draft.refresh_from_db()
    assert draft.status == "submitted", messages_of(response)

    response = client.post(
        reverse("filing:evidence_delete", args=[draft.pk, evidence.pk]), follow=True
    )
    [message] = messages_of(response)
    assert message.startswith("这份自评当前状态为“已提交”，不能上传或删除佐证材料。")
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert Path(evidence.file.path).read_bytes() == pdf_bytes("frozen")

    response = _upload(client, draft, [SimpleUploadedFile("b.pdf", pdf_bytes("late"))])
    assert any("不能上传或删除佐证材料" in m for m in messages_of(response))
    assert Evidence.objects.filter(evaluation=draft).count() == 1


# ---------------------------------------------------------------------------- the warning


def _evidence_warning(client, evaluation, code: str) -> bool:
    response = client.get(reverse("filing:step", args=[evaluation.pk, "review"]))
    assert response.status_code == 200
    return bool(
        re.search(rf"{re.escape(code)} [^ ：]+：须提供佐证材料，尚未上传", text_of(response))
    )


def test_required_evidence_warning_until_a_file_is_attached(draft, users):
    client = client_for(users["filer"])
    assert _evidence_warning(client, draft, "1.1.2")
    assert _evidence_warning(client, draft, "1.1.3")
    # a file for the evaluation as a whole, or for another indicator, does not count
    _upload(client, draft, [SimpleUploadedFile("整体.pdf", pdf_bytes("general"))])
    _upload(client, draft, [SimpleUploadedFile("保障率.pdf", pdf_bytes("113"))], "1.1.3")
    assert _evidence_warning(client, draft, "1.1.2")
    assert not _evidence_warning(client, draft, "1.1.3")

    _upload(client, draft, [SimpleUploadedFile("预算编制.pdf", pdf_bytes("112"))], "1.1.2")
    assert not _evidence_warning(client, draft, "1.1.2")
