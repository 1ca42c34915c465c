"""Issue 15 items 6 and 7: the client's address behind trusted proxies, lockout counted per
user name and address and per address, access-denied audit rows with address and path;
password change, strength and expiry; the idle timeout and absolute cap (with a save after
expiry that keeps its input); seed_demo refusing demo users in production."""

from __future__ import annotations

import ipaddress
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from config.client_ip import parse_networks, resolve
from evaluations import session as session_policy
from evaluations.models import FigureValue, PasswordRecord

from .helpers import PASSWORD, audit_rows, client_for, text_of

PROXY = "10.0.0.2"
LOCKED_TEXT = "登录失败次数过多"

# ---------------------------------------------------------------------------- client address


def test_forwarded_for_is_ignored_without_trusted_proxies():
    assert resolve("203.0.113.9", "1.2.3.4", ()) == "203.0.113.9"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    trusted = parse_networks(["10.0.0.0/8"])
    assert resolve("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"


def test_the_first_untrusted_hop_from_the_right_is_the_client():
    trusted = parse_networks(["10.0.0.0/8", "192.168.1.1"])
    # the client put a forged address first; the proxies appended what they saw
    header = "6.6.6.6, 198.51.100.7, 192.168.1.1"
    assert resolve("10.0.0.2", header, trusted) == "198.51.100.7"
    assert resolve("10.0.0.2", "198.51.100.7", trusted) == "198.51.100.7"
    # all hops trusted: the leftmost one
    assert resolve("10.0.0.2", "10.1.1.1", trusted) == "10.1.1.1"
    # no header: the proxy itself
    assert resolve("10.0.0.2", "", trusted) == "10.0.0.2"


def test_odd_forwarded_values():
    trusted = parse_networks(["10.0.0.2", "::1"])
    assert resolve("10.0.0.2", "garbage", trusted) == "10.0.0.2"
    assert resolve("10.0.0.2", "198.51.100.7:5050", trusted) == "198.51.100.7"
    assert resolve("10.0.0.2", "[2001:db8::5]:443", trusted) == "2001:db8::5"
    assert resolve("::1", "2001:db8::5", trusted) == "2001:db8::5"
    assert resolve("::ffff:10.0.0.2", "198.51.100.7", trusted) == "198.51.100.7"
    assert resolve("", "198.51.100.7", trusted) is None


@given(
    remote=st.one_of(st.ip_addresses().map(str), st.text(max_size=20)),
    header=st.one_of(
        st.lists(st.ip_addresses().map(str), max_size=5).map(", ".join), st.text(max_size=60)
    ),
)
def test_resolve_never_fails_and_answers_an_address_or_none(remote, header):
    trusted = parse_networks(["10.0.0.0/8", "fd00::/8"])
    found = resolve(remote, header, trusted)
    assert found is None or ipaddress.ip_address(found)
    try:
        peer = ipaddress.ip_address(remote)
    except ValueError:
        return
    if not any(peer in n for n in trusted) and getattr(peer, "ipv4_mapped", None) is None:
        assert found == str(peer)  # an untrusted peer's header is never believed


def test_a_typo_in_trusted_proxies_is_refused():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "10.0.0.300"])


def _via_proxy(client_address: str) -> Client:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
    return client


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def proxied(settings):
    settings.TRUSTED_PROXIES = [PROXY]


@pytest.fixture
def axes(settings):
    settings.AXES_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return settings.AXES_FAILURE_LIMIT


def test_audit_rows_carry_the_client_address_behind_the_proxy(proxied, users):
    _login(_via_proxy("198.51.100.7"), "filer", "wrong")
    _login(_via_proxy("198.51.100.8"), "filer", PASSWORD)
    [failed] = audit_rows("login_failed")
    [ok] = audit_rows("login")
    assert (failed.ip, ok.ip) == ("198.51.100.7", "198.51.100.8")


def test_a_forged_forwarded_for_is_not_believed(proxied, users):
    client = Client(REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="198.51.100.7")
    _login(client, "filer", "wrong")
    [row] = audit_rows("login_failed")
    assert row.ip == "203.0.113.66"


def test_an_attacker_cannot_lock_a_department_out_from_another_address(proxied, axes, users):
    """Behind the proxy every request comes from PROXY; before, the user-name-and-address
    lock became a per-user-name lock that anyone could trigger."""
    attacker = _via_proxy("203.0.113.5")
    for attempt in range(axes):
        response = _login(attacker, "filer", f"wrong-{attempt}")
    assert response.status_code == 429
    # the department's own staff, from their office, still log in
    response = _login(_via_proxy("198.51.100.7"), "filer", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("filing:home")


def test_one_address_is_locked_whatever_the_user_name(proxied, axes, users):
    """Counted per address too: spraying many names from one address is stopped."""
    attacker = _via_proxy("203.0.113.5")
    for attempt in range(axes):
        _login(attacker, f"user-{attempt}", "guess")
    response = _login(attacker, "filer", PASSWORD)
    assert response.status_code == 429 and LOCKED_TEXT in text_of(response)
    assert "连续 5 次登录失败后，将暂停从该地址登录 15 分钟。其他地址的登录不受影响" in text_of(
        response
    )
    # forging another address in the header does not help when not through the proxy
    direct = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert _login(direct, "filer", PASSWORD).status_code == 429


def test_access_denied_rows_carry_user_address_path_and_time(proxied, media, users, seed_eval):
    client = client_for(users["filer2"])
    client.defaults.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.42")
    url = reverse("filing:step", args=[seed_eval.pk, "basic"])
    before = timezone.now()
    assert client.get(url).status_code == 404
    [row] = audit_rows("permission_denied")
    assert (row.user, row.username, row.ip, row.path) == (
        users["filer2"],
        "filer2",
        "198.51.100.42",
        url,
    )
    assert before <= row.at <= timezone.now()


def test_a_region_denial_is_audited_with_address_and_path(media, users, other_region):
    client = client_for(users["reviewer"])
    url = reverse("review:dashboard", args=["panyu", 2022])
    assert client.get(url).status_code == 404
    [row] = audit_rows("permission_denied")
    assert (row.user, row.ip, row.path, row.detail) == (
        users["reviewer"],
        "127.0.0.1",
        url,
        {"region": "panyu"},
    )


def test_a_403_response_is_audited(users, seed_eval):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["filer"])
    url = reverse("filing:step", args=[seed_eval.pk, "basic"])
    assert client.post(url, {}).status_code == 403  # no CSRF token
    [row] = audit_rows("permission_denied")
    assert (row.user, row.ip, row.path, row.detail) == (
        users["filer"],
        "127.0.0.1",
        url,
        {"status": 403},
    )


# ---------------------------------------------------------------------------- passwords

STRONG = "Harbour-绩效-7q2x"


@pytest.mark.parametrize("username", ["filer", "reviewer", "admin"])
def test_every_user_can_change_the_password(users, username):
    user = users[username]
    client = client_for(user)
    home = client.get(reverse("public:list"))
    assert reverse("password_change") in home.content.decode()  # the navbar's user menu
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "修改密码" in text_of(page)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "密码已修改" in text_of(response)
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert client.get(reverse("password_change")).status_code == 200  # still logged in here
    assert audit_rows("password_change")[0].user == user


def test_a_weak_new_password_is_refused_in_chinese_and_nothing_changes(users):
    client = client_for(users["filer"])
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "abc123", "new_password2": "abc123"},
    )
    text = text_of(response)
    assert response.status_code == 200
    assert "密码太短" in text and "至少包含" in text
    users["filer"].refresh_from_db()
    assert users["filer"].check_password(PASSWORD)


@pytest.mark.parametrize("password", ["harbourlights", "Harbourlights", "harbour12345"])
def test_passwords_need_three_kinds_of_characters(users, password):
    with pytest.raises(ValidationError, match="至少包含"):
        validate_password(password, user=users["filer"])


def test_validator_messages_are_chinese(users):
    with pytest.raises(ValidationError) as info:
        validate_password("12345", user=users["filer"])
    assert all("密码" in m for m in info.value.messages), info.value.messages


def test_the_change_time_is_recorded(users):
    user = users["filer"]
    user.set_password(STRONG)
    user.save()
    record = PasswordRecord.objects.get(user=user)
    assert timezone.now() - record.changed_at < timedelta(minutes=1)


def _age_password(user, days: int) -> None:
    PasswordRecord.objects.filter(user=user).update(
        changed_at=timezone.now() - timedelta(days=days)
    )


def test_an_expired_password_sends_the_user_to_the_change_page(settings, users):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    _age_password(users["filer"], 91)
    client = Client()
    response = _login(client, "filer", PASSWORD)
    assert response.status_code == 302
    response = client.get(reverse("filing:home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "您的密码已超过有效期，请先修改密码。" in text_of(response)
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert client.get(reverse("filing:home")).status_code == 200


def test_password_expiry_is_off_by_default(users):
    _age_password(users["filer"], 3650)
    client = Client()
    _login(client, "filer", PASSWORD)
    assert client.get(reverse("filing:home")).status_code == 200


def test_a_recent_password_is_not_expired(settings, users):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    _age_password(users["filer"], 10)
    client = Client()
    _login(client, "filer", PASSWORD)
    assert client.get(reverse("filing:home")).status_code == 200


# ---------------------------------------------------------------------------- sessions


def _logged_in(username: str) -> Client:
    client = Client()
    assert _login(client, username, PASSWORD).status_code == 302
    return client


def _shift(client: Client, *, idle_seconds: float = 0, since_login: float = 0) -> None:
    s = client.session
    now = time.time()
    s[session_policy.LAST_SEEN] = now - idle_seconds
    s[session_policy.LOGIN_AT] = now - max(since_login, idle_seconds)
    s.save()


def test_the_idle_timeout_defaults_to_30_minutes(settings):
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 30
    assert settings.SESSION_IDLE_WARNING_SECONDS == 120


def test_a_session_idle_for_longer_than_the_timeout_ends(users, seed_eval):
    client = _logged_in("filer")
    _shift(client, idle_seconds=31 * 60)
    response = client.get(reverse("filing:home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "由于超过 30 分钟未操作，您已自动退出。请重新登录。" in text_of(response)
    assert audit_rows("session_expired")[0].user == users["filer"]


def test_activity_keeps_the_session(users, seed_eval):
    client = _logged_in("filer")
    _shift(client, idle_seconds=29 * 60)
    assert client.get(reverse("filing:home")).status_code == 200
    assert session_policy.remaining_seconds(client.session) > 29 * 60


def test_the_absolute_cap_holds_whatever_the_activity(users, seed_eval):
    client = _logged_in("filer")
    _shift(client, idle_seconds=10, since_login=8 * 3600 + 1)
    response = client.get(reverse("filing:home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "登录已满 8 小时" in text_of(response)


def test_extend_restarts_the_idle_clock_and_status_does_not(users):
    client = _logged_in("filer")
    _shift(client, idle_seconds=28 * 60 + 30)
    state = client.get(reverse("session_status")).json()
    assert state["authenticated"] is True and 60 <= state["remaining"] <= 90
    assert client.get(reverse("session_status")).json()["remaining"] <= 90  # not activity
    state = client.post(reverse("session_extend")).json()
    assert state["authenticated"] is True and state["remaining"] >= 30 * 60 - 2
    assert state["csrf"]


def test_extend_after_expiry_says_so(users):
    client = _logged_in("filer")
    _shift(client, idle_seconds=31 * 60)
    response = client.post(reverse("session_extend"))
    assert response.status_code == 401
    assert response.json()["authenticated"] is False
    assert client.get(reverse("session_status")).json()["authenticated"] is False


def test_extend_needs_post(users):
    assert _logged_in("filer").get(reverse("session_extend")).status_code == 405


def test_a_save_after_expiry_keeps_the_input_and_asks_to_log_in(users, seed_eval):
    client = _logged_in("filer")
    url = reverse("filing:step", args=[seed_eval.pk, "figures"])
    _shift(client, idle_seconds=31 * 60)
    before = list(FigureValue.objects.filter(evaluation=seed_eval).values_list("key", "value"))
    response = client.post(
        url, {"version": str(seed_eval.version), "initial_budget": "4321.98", "note": "说明<b>"}
    )
    assert response.status_code == 401
    page = response.content.decode()
    text = text_of(response)
    assert "登录已过期，内容尚未保存" in text and "重新提交" in text
    assert 'name="initial_budget" value="4321.98"' in page
    assert 'value="说明&lt;b&gt;"' in page
    assert f'action="{url}"' in page
    assert list(FigureValue.objects.filter(evaluation=seed_eval).values_list("key", "value")) == (
        before
    )
    # after logging in again, the kept form posts to the step as before
    again = _logged_in("filer")
    assert again.get(reverse("session_status")).json()["authenticated"] is True


def test_pages_carry_the_session_dialog(users, seed_eval):
    client = _logged_in("filer")
    page = client.get(reverse("filing:home")).content.decode()
    assert 'id="session-dialog"' in page and "继续工作" in page
    assert 'data-warn="120"' in page and "js/session.js" in page
    anonymous = Client().get(reverse("public:list")).content.decode()
    assert 'id="session-dialog"' not in anonymous


# ---------------------------------------------------------------------------- seed_demo


def test_seed_demo_refuses_demo_users_in_production(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError) as info:
        call_command("seed_demo", stdout=StringIO())
    assert "DJANGO_DEBUG" in str(info.value) and "--allow-demo-users-in-production" in str(
        info.value
    )
    assert not get_user_model().objects.exists()


def test_seed_demo_in_production_only_when_forced(settings, db):
    settings.DEBUG = False
    err = StringIO()
    call_command("seed_demo", "--allow-demo-users-in-production", stdout=StringIO(), stderr=err)
    assert get_user_model().objects.filter(username="admin").exists()
    assert "密码是公开的" in err.getvalue()


def test_seed_demo_runs_in_development(settings, db):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    assert get_user_model().objects.filter(username="filer").exists()


def test_a_script_save_after_expiry_gets_json(users, seed_eval):
    """An autosave (fetch, Accept: application/json) learns that the session ended; the page
    keeps the input and session.js asks to log in again."""
    client = _logged_in("filer")
    _shift(client, idle_seconds=31 * 60)
    response = client.post(
        reverse("filing:step", args=[seed_eval.pk, "figures"]),
        {"version": str(seed_eval.version), "initial_budget": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "由于超过 30 分钟未操作，您已自动退出。请重新登录后再保存。",
        "login_url": reverse("login"),
    }


def test_the_audit_trail_is_in_the_admin(media, users, seed_eval):
    client_for(users["filer2"]).get(reverse("filing:step", args=[seed_eval.pk, "basic"]))
    page = client_for(users["admin"]).get(reverse("admin:evaluations_auditlog_changelist"))
    assert page.status_code == 200
    text = text_of(page)
    assert "拒绝访问" in text and "127.0.0.1" in text
    assert reverse("filing:step", args=[seed_eval.pk, "basic"]) in text
    add = client_for(users["admin"]).get(reverse("admin:evaluations_auditlog_add"))
    assert add.status_code == 403  # read-only


def test_status_says_which_limit_comes_first(users):
    client = _logged_in("filer")
    assert client.get(reverse("session_status")).json()["limit"] == "idle"
    _shift(client, idle_seconds=10, since_login=8 * 3600 - 60)
    assert client.get(reverse("session_status")).json()["limit"] == "absolute"


def test_a_refused_action_is_audited_although_the_service_rolled_back(media, users, seed_eval):
    """A reviewer trying the filer's 提交: refused inside the service's transaction (rolled
    back), recorded after the response with the client's address and the path."""
    client = client_for(users["reviewer"])
    url = reverse("filing:submit", args=[seed_eval.pk])
    response = client.post(url, {"version": str(seed_eval.version)})
    assert response.status_code == 302
    seed_eval.refresh_from_db()
    assert seed_eval.status == "draft"
    [row] = audit_rows("permission_denied")
    assert (row.user, row.ip, row.path, row.detail) == (
        users["reviewer"],
        "127.0.0.1",
        url,
        {"evaluation": seed_eval.pk, "action": "submit"},
    )


def test_a_state_refusal_is_not_an_access_denial(media, users, seed_eval):
    """The filer may submit; a refusal for the evaluation's state or content is workflow."""
    client_for(users["filer"]).post(
        reverse("filing:withdraw", args=[seed_eval.pk]), {"version": str(seed_eval.version)}
    )
    assert audit_rows("permission_denied") == []
