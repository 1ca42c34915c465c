"""/healthz: whether the database and the file storage answer. For load balancers and
docker-compose health checks; no login, no details beyond up or down."""

from __future__ import annotations

import logging

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


def _storage() -> bool:
    try:
        default_storage.exists("healthz-probe")
        return True
    except Exception:  # any storage error means "down"
        log.exception("healthz: storage check failed")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "storage": _storage()}
    ok = all(checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
