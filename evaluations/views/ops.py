"""/healthz: whether the database answers and the file storage is writable. For load balancers
and docker-compose health checks; no login, no details beyond what failed (HTTP 503)."""

from __future__ import annotations

import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down"
        log.exception("healthz: database check failed")
        return False


PROBE_DIR = "healthz"


def _storage() -> bool:
    """Write a small probe file, read it back and delete it: a store that answers but cannot
    be written (full disk, read-only mount, revoked S3 key) is down for uploads and publishing."""
    content = uuid.uuid4().hex.encode()
    try:
        name = default_storage.save(
            f"{PROBE_DIR}/probe-{uuid.uuid4().hex}.txt", ContentFile(content)
        )
        try:
            with default_storage.open(name, "rb") as handle:
                if handle.read() != content:
                    raise OSError("the probe file read back differs")
        finally:
            default_storage.delete(name)
        return True
    except Exception:  # any storage error means "down"
        log.exception("healthz: storage check failed")
        return False


REASONS = {"database": "数据库无法连接", "storage": "文件存储不可写入"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "storage": _storage()}
    ok = all(checks.values())
    body: dict = {"status": "ok" if ok else "error", **checks}
    if not ok:
        body["reason"] = "；".join(REASONS[name] for name, up in checks.items() if not up)
    return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
