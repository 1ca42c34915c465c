"""Issue 15 item 8: WeasyPrint reads only the project's static files and the system fonts.
Unescaped HTML asking for file:///etc/passwd (as a PDF attachment, a stylesheet, an image) or
for http:// gets nothing; the report's own stylesheet still applies."""

from __future__ import annotations

import http.server
import io
import threading
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from weasyprint import HTML

from evaluations import reports
from evaluations.pdf_fetcher import FetchRefused, is_allowed, report_url_fetcher

SECRET = "top-secret-line-7f3a"


@pytest.fixture
def outside_file(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def http_server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"@page { size: 50mm 50mm }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def _evil_html(outside: Path, http_base: str) -> str:
    return f"""<!doctype html><html><head>
<link rel="stylesheet" href="{http_base}/evil.css">
<link rel="stylesheet" href="file://{outside}">
<link rel="attachment" href="file:///etc/passwd" title="passwd">
</head><body><p>正文</p>
<a rel="attachment" href="file://{outside}">附件</a>
<img src="file:///etc/passwd"><img src="{http_base}/pixel.png">
</body></html>"""


def _attachments(pdf: bytes) -> dict:
    return pypdf.PdfReader(io.BytesIO(pdf)).attachments


def _file_annotations(pdf: bytes) -> list[bytes]:
    """The contents of the files attached to the pages (<a rel="attachment">)."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/FileAttachment":
                found.append(annotation["/FS"]["/EF"]["/F"].get_object().get_data())
    return found


def _page_size(pdf: bytes) -> tuple[int, int]:
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_default_weasyprint_would_leak(outside_file, http_server):
    """The hole the fetcher closes: without it the file is embedded and the host is asked."""
    base, hits = http_server
    pdf = HTML(string=_evil_html(outside_file, base), base_url=str(settings.BASE_DIR)).write_pdf()
    embedded = _attachments(pdf)
    assert b"root:x:0:0" in b"".join(embedded["passwd"])
    assert SECRET.encode() in _file_annotations(pdf)
    assert hits


def test_the_report_fetcher_reads_nothing_outside(outside_file, http_server):
    base, hits = http_server
    pdf = HTML(
        string=_evil_html(outside_file, base),
        base_url=str(settings.BASE_DIR),
        url_fetcher=report_url_fetcher(),
    ).write_pdf()
    assert _attachments(pdf) == {}
    assert _file_annotations(pdf) == []
    assert hits == []
    assert _page_size(pdf) == (595, 842)  # A4: neither stylesheet applied


def test_render_pdf_uses_the_fetcher(monkeypatch, db, outside_file, http_server):
    """reports.render_pdf, even if a template let markup through unescaped."""
    from evaluations.demo import seed_demo
    from evaluations.models import Evaluation

    seed_demo()
    evaluation = Evaluation.objects.get(department__code="nansha-cppcc-office")
    base, hits = http_server
    monkeypatch.setattr(
        reports, "render_html", lambda evaluation, draft: _evil_html(outside_file, base)
    )
    pdf = reports.render_pdf(evaluation, draft=True)
    assert _attachments(pdf) == {} and hits == []
    assert _file_annotations(pdf) == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/shadow",
        "file://otherhost/share/x.css",
        "http://127.0.0.1/x.css",
        "https://example.com/font.woff",
        "ftp://example.com/x",
        f"file://{settings.BASE_DIR}/static/../config/settings.py",
        f"file://{settings.BASE_DIR}/static/css/nothing-here.css",
    ],
)
def test_refused_urls(url):
    assert not is_allowed(url)
    with pytest.raises(FetchRefused):
        report_url_fetcher().fetch(url)


def test_allowed_urls():
    assert is_allowed(f"file://{settings.BASE_DIR}/static/css/report.css")
    assert is_allowed("data:text/css,p{}")
    fonts = sorted(Path("/usr/share/fonts").rglob("*.tt[cf]"))
    if fonts:
        assert is_allowed(fonts[0].as_uri())
    response = report_url_fetcher().fetch(f"file://{settings.BASE_DIR}/static/css/report.css")
    assert b"@page" in response.read()
    response.close()


def test_the_report_stylesheet_still_applies():
    html = '<link rel="stylesheet" href="static/css/report.css"><p>正文</p>'
    pdf = HTML(
        string=html, base_url=str(settings.BASE_DIR) + "/", url_fetcher=report_url_fetcher()
    ).write_pdf()
    plain = HTML(string="<p>正文</p>").write_pdf()
    assert pdf != plain
