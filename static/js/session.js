/* Session expiry in the page (evaluations/session.py is the server side).
 *
 * - Before the idle timeout ends, a dialog warns 「您已较长时间未操作，会话将在 2 分钟后结束」
 *   and 「继续工作」 extends the session (POST /accounts/session/extend/). If the user has been
 *   typing or clicking meanwhile, the session is extended without asking.
 * - When the session has ended, the page stays as it is (nothing typed is lost): the dialog
 *   offers to log in again in a new tab, then 「我已重新登录」 takes the new CSRF token into every
 *   form of the page, so the next save goes through. A form submitted while the session is
 *   over opens the same dialog instead of leaving the page.
 * - The page the server answers to a save that arrived after expiry (registration/
 *   session_expired.html) resubmits the kept values with a fresh CSRF token.
 */
(function () {
  "use strict";

  function csrfFrom(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setCsrf(token) {
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = token;
    });
  }

  function getStatus(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); });
  }

  /* ---------------------------------------------------------------- a page of a logged-in user */
  function watch(dialog) {
    var statusUrl = dialog.dataset.statusUrl;
    var extendUrl = dialog.dataset.extendUrl;
    var warnSeconds = parseInt(dialog.dataset.warn, 10) || 120;
    var message = dialog.querySelector("[data-role=message]");
    var title = dialog.querySelector("[data-role=title]");
    var extendButton = dialog.querySelector("[data-role=extend]");
    var loginLink = dialog.querySelector("[data-role=login]");
    var recheckButton = dialog.querySelector("[data-role=recheck]");
    var deadline = Date.now() + (parseInt(dialog.dataset.remaining, 10) || 0) * 1000;
    var lastActivity = 0;
    var lastContact = Date.now();
    var expired = false;
    var timer = null;
    var countdown = null;

    function open() {
      if (!dialog.open) {
        if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
      }
    }
    function close() {
      if (dialog.open) {
        if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); }
      }
      if (countdown) { clearInterval(countdown); countdown = null; }
    }

    function minutesLeft() {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (seconds > 60) { return Math.ceil(seconds / 60) + " 分钟"; }
      return seconds + " 秒";
    }

    var limit = "idle";

    function warningText() {
      if (limit === "absolute") {
        return "本次登录已接近时长上限，会话将在 " + minutesLeft() + "后结束。请先保存，然后重新登录。";
      }
      return "您已较长时间未操作，会话将在 " + minutesLeft() + "后结束。未保存的内容请先保存。";
    }

    function showWarning() {
      expired = false;
      title.textContent = "会话即将结束";
      message.textContent = warningText();
      extendButton.hidden = limit === "absolute";
      loginLink.hidden = true;
      recheckButton.hidden = true;
      open();
      if (!extendButton.hidden) { extendButton.focus(); }
      if (!countdown) {
        countdown = setInterval(function () {
          if (Date.now() >= deadline) { showExpired(); return; }
          message.textContent = warningText();
        }, 1000);
      }
    }

    function showExpired() {
      if (countdown) { clearInterval(countdown); countdown = null; }
      expired = true;
      title.textContent = "登录已过期";
      message.textContent = "会话已结束（较长时间未操作，或登录时长已满），您已退出登录。本页填写的内容仍然保留，尚未保存："
        + "请在新标签页中重新登录，然后回到本页点击「我已重新登录」，再保存。";
      extendButton.hidden = true;
      loginLink.hidden = false;
      recheckButton.hidden = false;
      open();
      loginLink.focus();
    }

    function schedule(remaining) {
      deadline = Date.now() + remaining * 1000;
      lastContact = Date.now();
      if (timer) { clearTimeout(timer); }
      var wait = Math.max(0, remaining - warnSeconds) * 1000;
      timer = setTimeout(check, wait);
    }

    function extend() {
      var body = new FormData();
      return fetch(extendUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfFrom(document), Accept: "application/json" },
        body: body
      }).then(function (r) { return r.json(); }).then(function (state) {
        if (state.csrf) { setCsrf(state.csrf); }
        if (state.authenticated) {
          close();
          schedule(state.remaining);
        } else {
          showExpired();
        }
      }).catch(function () { /* network: keep the dialog; the user may try again */ });
    }

    function check() {
      getStatus(statusUrl).then(function (state) {
        if (!state.authenticated) { showExpired(); return; }
        if (state.remaining > warnSeconds + 5) {  // active in another tab meanwhile
          close();
          schedule(state.remaining);
          return;
        }
        deadline = Date.now() + state.remaining * 1000;
        limit = state.limit || "idle";
        if (lastActivity > lastContact && limit === "idle") { extend(); return; }  // typing: not idle
        showWarning();
        if (timer) { clearTimeout(timer); }
        timer = setTimeout(check, Math.max(1, state.remaining) * 1000 + 500);
      }).catch(function () {
        timer = setTimeout(check, 15000);
      });
    }

    ["keydown", "pointerdown", "input"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        if (!dialog.contains(event.target)) { lastActivity = Date.now(); }
      }, true);
    });

    extendButton.addEventListener("click", extend);
    recheckButton.addEventListener("click", function () {
      getStatus(statusUrl).then(function (state) {
        if (state.authenticated) {
          setCsrf(state.csrf);
          close();
          expired = false;
          schedule(state.remaining);
        } else {
          message.textContent = "尚未检测到重新登录。请先在新标签页中登录，再点击「我已重新登录」。";
        }
      });
    });
    dialog.addEventListener("cancel", function (event) {
      if (expired) { return; }  // Esc on the warning: same as 继续工作
      event.preventDefault();
      extend();
    });

    // A save while the session is over: keep the page, ask to log in again.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") { return; }
      if (form.hasAttribute("data-session-exempt")) { return; }
      if (expired || Date.now() >= deadline) {
        event.preventDefault();
        getStatus(statusUrl).then(function (state) {
          if (state.authenticated) {  // logged in again meanwhile: save with the new token
            setCsrf(state.csrf);
            expired = false;
            schedule(state.remaining);
            if (typeof form.requestSubmit === "function") { form.requestSubmit(event.submitter || undefined); } else { form.submit(); }
          } else {
            showExpired();
          }
        }).catch(showExpired);
      }
    }, true);

    schedule(Math.max(0, Math.round((deadline - Date.now()) / 1000)));

    // For other scripts (e.g. autosave): a save answered 401 dispatches
    // document.dispatchEvent(new CustomEvent("session:expired")) and this dialog takes over;
    // "session:activity" counts as the user's activity.
    document.addEventListener("session:expired", showExpired);
    document.addEventListener("session:activity", function () { lastActivity = Date.now(); });
  }

  /* --------------------------------------------- the server's page for a save after expiry */
  function resubmit(form) {
    var note = form.querySelector("[data-role=resubmit-note]");
    form.addEventListener("submit", function (event) {
      if (form.dataset.ready === "1") { return; }
      event.preventDefault();
      getStatus(form.dataset.statusUrl).then(function (state) {
        if (!state.authenticated) {
          note.textContent = "尚未重新登录。请先点击「在新标签页中重新登录」，登录后回到本页再提交。";
          note.hidden = false;
          return;
        }
        setCsrf(state.csrf);
        form.dataset.ready = "1";
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("session-dialog");
    if (dialog) { watch(dialog); }
    document.querySelectorAll("form[data-session-resubmit]").forEach(resubmit);
  });
})();
