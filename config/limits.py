"""Bounded requests and a Chinese answer when storage fails.

- RequestSizeMiddleware refuses a request whose declared body (CONTENT_LENGTH) is larger than
  REQUEST_MAX_BYTES before anything reads it: a 400 MB upload gets 「文件过大」 (HTTP 413) at
  once, not after it has been received. It runs before the CSRF check, which reads the body.
- FileSizeUploadHandler stops receiving an uploaded file as soon as it passes
  UPLOAD_FILE_MAX_BYTES (the largest file any form accepts) and tells the view by
  `request.upload_refused`; the rest of the body is not read.
- StorageErrorMiddleware turns a storage failure (OSError from the file storage, or the S3
  client's errors) raised by a view into a Chinese page in the site's layout (HTTP 503). The
  services write the file before the rows, inside their transaction, so nothing is half-done.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = logging.getLogger(__name__)


def _mb(size: int) -> str:
    return f"{size / 1048576:.0f} MB"


def too_large_message(limit: int) -> str:
    return f"文件过大：一次上传的内容不能超过 {_mb(limit)}。请压缩或拆分后分几次上传。"


class RequestSizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            log.warning("request body of %s bytes refused (limit %s)", declared, limit)
            # The body is left unread (WSGI servers close such a connection themselves; a
            # Connection header is not the application's to set).
            return render(
                request, "errors/too_large.html", {"message": too_large_message(limit)}, status=413
            )
        return self.get_response(request)


class FileSizeUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts each file's bytes as they arrive."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        limit = settings.UPLOAD_FILE_MAX_BYTES
        if self.received > limit:
            if self.request is not None:
                self.request.upload_refused = (
                    f"“{self.file_name}”文件过大：单个文件不能超过 {_mb(limit)}。"
                )
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler stores the file


def upload_refused(request: HttpRequest) -> str:
    """The message of a file refused while it was received (FileSizeUploadHandler), or ""."""
    request.FILES  # noqa: B018 - parsing the body is what sets the flag
    return getattr(request, "upload_refused", "")


def _storage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - the S3 client is optional in development
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)


STORAGE_ERRORS = _storage_errors()


class StorageErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, STORAGE_ERRORS):
            return None
        log.exception("storage failure on %s %s", request.method, request.path)
        return render(request, "errors/storage.html", status=503)
