"""The security audit trail: one function to record an event, in the database (AuditLog, seen
in the admin) and in the `audit` logger; plus the login signal handlers."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

log = logging.getLogger("audit")


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(event: str, *, request=None, user=None, username: str = "", **detail) -> None:
    from .models import AuditLog

    request_user = getattr(request, "user", None)
    if user is None and request_user is not None and request_user.is_authenticated:
        user = request_user
    name = username or (user.get_username() if user is not None else "")
    path = request.path[:300] if request is not None else ""
    AuditLog.objects.create(
        event=event, user=user, username=name[:150], ip=client_ip(request), path=path, detail=detail
    )
    log.info("%s user=%s ip=%s path=%s %s", event, name, client_ip(request), path, detail)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record("login", request=request, user=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("logout", request=request, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record("login_failed", request=request, username=str(credentials.get("username", ""))[:150])
