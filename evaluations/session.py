"""Session rules: an idle timeout (SESSION_IDLE_TIMEOUT_MINUTES, warned in the page by
static/js/session.js and extendable), an absolute cap from login (SESSION_ABSOLUTE_HOURS), and
the optional password expiry (PASSWORD_MAX_AGE_DAYS: the user goes to the change page).

A form POSTed by a session that has just run out is not lost: the answer is a page that holds
the posted values in a form of its own, asks the user to log in again in a new tab and then
to submit it again (session.js refreshes the CSRF token first).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

LOGIN_AT = "_session_login_at"
LAST_SEEN = "_session_last_seen"
PASSWORD_EXPIRED = "_password_expired"
# A page view refreshes the idle clock; to spare a session write per request, only when the
# last refresh is older than this (seconds). The page is told the true deadline.
TOUCH_EVERY = 60


def idle_seconds() -> int:
    return int(settings.SESSION_IDLE_TIMEOUT_MINUTES) * 60


def absolute_seconds() -> int:
    return int(settings.SESSION_ABSOLUTE_HOURS * 3600)


def remaining_seconds(session, now: float | None = None) -> int:
    """Seconds until this session ends, whichever of the idle and absolute limits comes first."""
    now = time.time() if now is None else now
    last = session.get(LAST_SEEN, now)
    started = session.get(LOGIN_AT, now)
    return max(0, int(min(last + idle_seconds(), started + absolute_seconds()) - now))


def limited_by(session, now: float | None = None) -> str:
    """Which limit ends this session first: "idle" or "absolute"."""
    now = time.time() if now is None else now
    idle_end = session.get(LAST_SEEN, now) + idle_seconds()
    absolute_end = session.get(LOGIN_AT, now) + absolute_seconds()
    return "absolute" if absolute_end < idle_end else "idle"


def _start(session, now: float) -> None:
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now


def _exempt_from_password_change(path: str) -> bool:
    allowed = (
        reverse("password_change"),
        reverse("password_change_done"),
        reverse("logout"),
        reverse("session_status"),
        reverse("session_extend"),
    )
    return path in allowed or path.startswith("/" + settings.STATIC_URL.lstrip("/"))


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if "_auth_user_id" in session:
            now = time.time()
            if LAST_SEEN not in session or LOGIN_AT not in session:
                _start(session, now)
            elif remaining_seconds(session, now) <= 0:
                return self._expired(request, now)
            elif request.path != reverse("session_status") and (
                now - session[LAST_SEEN] >= TOUCH_EVERY
            ):
                session[LAST_SEEN] = now
            if session.get(PASSWORD_EXPIRED) and not _exempt_from_password_change(request.path):
                messages.warning(request, "您的密码已超过有效期，请先修改密码。")
                return redirect("password_change")
        return self.get_response(request)

    def _expired(self, request: HttpRequest, now: float) -> HttpResponse:
        from . import audit

        idle = now - request.session[LAST_SEEN] >= idle_seconds()
        reason = (
            f"由于超过 {settings.SESSION_IDLE_TIMEOUT_MINUTES} 分钟未操作，您已自动退出。"
            if idle
            else f"登录已满 {settings.SESSION_ABSOLUTE_HOURS:g} 小时，您已自动退出。"
        )
        user = request.user
        audit.record("session_expired", request=request, user=user, idle=idle)
        posted = request.method == "POST" and request.path not in (
            reverse("login"),
            reverse("logout"),
            reverse("session_extend"),
        )
        fields = []
        if posted:
            fields = [
                (name, value)
                for name, values in request.POST.lists()
                if name != "csrfmiddlewaretoken"
                for value in values
            ]
        logout(request)
        if request.path == reverse("session_status"):
            return self.get_response(request)
        if posted and _wants_json(request):  # a script's save (autosave): it keeps the input
            return JsonResponse(
                {"error": reason + "请重新登录后再保存。", "login_url": reverse("login")},
                status=401,
            )
        if posted:
            response = render(
                request,
                "registration/session_expired.html",
                {
                    "reason": reason,
                    "fields": fields,
                    # what the user typed, for reading (not the form's bookkeeping)
                    "shown": [(n, v) for n, v in fields if v.strip() and n != "version"],
                    "action": request.get_full_path(),
                    "had_files": bool(request.FILES),
                    "login_url": reverse("login"),
                },
                status=401,
            )
            return response
        messages.info(request, reason + "请重新登录。")
        return self.get_response(request)


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    _start(request.session, time.time())
    if password_expired(user):
        request.session[PASSWORD_EXPIRED] = True


def password_expired(user) -> bool:
    days = int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0) or 0)
    if days <= 0:
        return False
    from .selectors import password_changed_at

    changed = password_changed_at(user)
    return changed is None or timezone.now() - changed > timedelta(days=days)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _password_set(sender, instance, **kwargs) -> None:
    # AbstractBaseUser.set_password() keeps the raw password in _password until saved.
    if getattr(instance, "_password", None) is not None:
        from .services import password_changed_record

        password_changed_record(user=instance)


def password_change_done(request: HttpRequest) -> None:
    """Called by the password change view once the new password is saved."""
    request.session.pop(PASSWORD_EXPIRED, None)
    _start(request.session, time.time())


# ---------------------------------------------------------------------------- endpoints


def _state(request: HttpRequest) -> dict:
    from django.middleware.csrf import get_token

    authenticated = request.user.is_authenticated
    return {
        "authenticated": authenticated,
        "remaining": remaining_seconds(request.session) if authenticated else 0,
        "limit": limited_by(request.session) if authenticated else "",
        "csrf": get_token(request),
    }


@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """Whether the session is alive and for how long (does not count as activity)."""
    return JsonResponse(_state(request))


@never_cache
@require_POST
def session_extend(request: HttpRequest) -> JsonResponse:
    """「继续工作」: the idle clock starts again (the absolute cap stays)."""
    if not request.user.is_authenticated:
        return JsonResponse({**_state(request), "error": "登录已过期，请重新登录。"}, status=401)
    request.session[LAST_SEEN] = time.time()
    return JsonResponse(_state(request))


def session_context(request: HttpRequest) -> dict:
    """For templates/base.html: the data the page's session.js needs."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from . import pagecache

    return {
        "session_policy": {
            # a page drawn for the page cache holds a placeholder, filled in for each request
            "remaining": pagecache.REMAINING_PLACEHOLDER
            if pagecache.drawing(request)
            else remaining_seconds(request.session),
            "warn": int(settings.SESSION_IDLE_WARNING_SECONDS),
            "warn_minutes": -(-int(settings.SESSION_IDLE_WARNING_SECONDS) // 60),
            "idle_minutes": int(settings.SESSION_IDLE_TIMEOUT_MINUTES),
        }
    }
