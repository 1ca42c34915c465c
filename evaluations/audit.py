"""The security audit trail: one function to record an event, in the database (AuditLog, seen
in the admin) and in the `audit` logger; plus the login signal handlers.

Every row carries the time, the user, the client's address (config.client_ip: the trusted-
proxy rule) and the path. Code deep in selectors and services records without a request in
hand: AuditRequestMiddleware keeps the current request for it, and records every 403 response
that nothing else recorded (CSRF failures, Django's PermissionDenied)."""

from __future__ import annotations

import contextvars
import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from config.client_ip import client_ip

log = logging.getLogger("audit")

_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)

__all__ = ["EVENT_LABELS", "AuditRequestMiddleware", "client_ip", "record"]

# How the admin names the events (an event not listed shows its code).
EVENT_LABELS = {
    "login": "登录",
    "logout": "退出",
    "login_failed": "登录失败",
    "permission_denied": "拒绝访问",
    "session_expired": "会话超时退出",
    "password_change": "修改密码",
    "evidence_upload": "上传佐证材料",
    "evidence_download": "下载佐证材料",
    "evidence_delete": "删除佐证材料",
    "evaluation_import": "导入自评数据",
    "evaluation_created": "新建自评",
}


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
            # Denials found inside a service's transaction (rolled back with it) are written
            # now, outside it.
            for event, detail in getattr(request, "_audit_later", ()):
                record(event, request=request, **detail)
            if response.status_code == 403 and not getattr(request, "_audit_denied", False):
                record("permission_denied", request=request, status=403)
            return response
        finally:
            _current_request.reset(token)


def record_after_request(event: str, **detail) -> None:
    """Record once the request is answered (outside any transaction that may roll back);
    without a current request (a command, a task), at once."""
    request = _current_request.get()
    if request is None:
        record(event, **detail)
        return
    if not hasattr(request, "_audit_later"):
        request._audit_later = []
    request._audit_later.append((event, detail))


def record(event: str, *, request=None, user=None, username: str = "", **detail) -> None:
    from .models import AuditLog

    if request is None:
        request = _current_request.get()
    if request is not None and event == "permission_denied":
        request._audit_denied = True
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
