"""What WeasyPrint may read while rendering a report: the project's own static files and the
system's font files, nothing else.

All user text is escaped in the report templates, but a slip there (or a future template)
must not turn a report into a way to read the server's files (`<a rel="attachment"
href="file:///etc/passwd">` embeds any readable file in the PDF) or to make the server
request other hosts (http://, ftp://). Anything outside the allowed directories is refused
with a warning in the log and left out of the PDF.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)

# System font directories (Debian: fonts-noto-cjk, fonts-lxgw-wenkai, texlive-lang-chinese).
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/usr/share/texlive/texmf-dist/fonts",
    "/usr/share/texmf/fonts",
)


class FetchRefused(ValueError):
    pass


def allowed_roots() -> list[Path]:
    """The directories whose files a report may use (resolved: symlinks followed)."""
    roots = [Path(settings.BASE_DIR) / "static", *map(Path, FONT_DIRS)]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    for entry in getattr(settings, "STATICFILES_DIRS", ()):
        roots.append(Path(entry[1] if isinstance(entry, (tuple, list)) else entry))
    return [Path(os.path.realpath(r)) for r in roots]


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"报告不得读取其他主机的文件：{url}")
    return Path(os.path.realpath(unquote(parts.path)))


def is_allowed(url: str) -> bool:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file":
        return False
    try:
        path = _file_path(url)
    except FetchRefused:
        return False
    return any(path.is_relative_to(root) for root in allowed_roots()) and path.is_file()


class ProjectFilesFetcher(URLFetcher):
    """WeasyPrint's fetcher limited to data: URLs and files under allowed_roots()."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)

    def fetch(self, url, headers=None):
        if not is_allowed(url):
            log.warning("PDF 渲染拒绝读取：%s", url[:200])
            raise FetchRefused(f"报告只能使用本系统的静态文件和字体，已拒绝：{url[:200]}")
        return super().fetch(url, headers)


def report_url_fetcher() -> ProjectFilesFetcher:
    """The url_fetcher to pass to every weasyprint.HTML(...) of the project."""
    return ProjectFilesFetcher()
