// 绩效自评 filing steps: autosave. The step form is posted to its own URL with the header
// X-Autosave: 1, 2 s after the last change, when a field loses focus and when the page is
// hidden; the server saves it through the step's form and service (version checked) and
// answers in JSON. Other forms on the page (upload, reply, resolve, delete) and the step links
// save the step form first. Enter in a field autosaves instead of submitting.
// window.FilingAutosave.flush() returns a promise of true once everything typed is saved.
(function () {
  "use strict";

  var form = document.querySelector("form#step-form[data-autosave]");
  if (!form) { return; }
  var status = form.querySelector("[data-testid=autosave-status]");
  var versionInput = form.querySelector("input[name=version]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var DELAY = 2000;

  // After a refused save (errors, or someone else's change) the page holds unsaved input.
  var dirty = !!document.querySelector("#error-summary, [data-testid=stale-warning]");
  // Someone else saved in between: no silent autosave over their change; the user decides
  // with 保存草稿, which shows what differs.
  var stopped = !!document.querySelector("[data-testid=stale-warning]");
  var seq = 0;          // bumped by every change
  var timer = null;
  var running = null;   // the promise of the save in flight
  var bypass = false;   // the next submit event is ours, let it through
  var marked = [];      // inputs marked invalid by the last autosave
  var firstError = null;
  // 转到该栏目: beside the state, not inside it (the state's text changes as the user types).
  var jump = form.querySelector("[data-autosave-jump]");
  if (jump) {
    jump.addEventListener("click", function () {
      if (!firstError) { return; }
      // focus first without scrolling: a focus() after would cut the smooth scroll short
      firstError.focus({ preventScroll: true });
      firstError.scrollIntoView({ block: "center" });
    });
  }

  var shown = "";
  function show(text, kind) {
    shown = kind || "";
    if (!status) { return; }
    status.hidden = !text;
    status.textContent = text;
    status.className = "autosave-status small" + (kind ? " autosave-" + kind : "");
  }
  if (form.dataset.savedAt && !dirty) { show("已保存 " + form.dataset.savedAt, "saved"); }

  function own(target) { return target && target.form === form && target.type !== "file"; }

  function changed() {
    dirty = true;
    seq += 1;
    if (stopped) { return; }
    // An error stays in view (with 转到该栏目 beside it) until the next save answers.
    if (shown !== "error") { show("有未保存的修改", "pending"); }
    clearTimeout(timer);
    timer = setTimeout(save, DELAY);
  }
  form.addEventListener("input", function (e) { if (own(e.target)) { changed(); } });
  form.addEventListener("change", function (e) { if (own(e.target)) { changed(); } });
  form.addEventListener("autosave:changed", changed);  // rows added, removed or moved
  form.addEventListener("focusout", function (e) {
    if (own(e.target) && dirty && !stopped) { clearTimeout(timer); timer = setTimeout(save, 50); }
  });
  document.addEventListener("visibilitychange", function () {
    // only what was changed on this page: input refused by the server before is not re-sent
    if (document.visibilityState === "hidden" && dirty && seq > 0 && !stopped) { save(true); }
  });

  function clearMarks() {
    firstError = null;
    if (jump) { jump.hidden = true; }
    marked.forEach(function (el) { el.classList.remove("is-invalid"); el.removeAttribute("aria-invalid"); });
    marked = [];
    form.querySelectorAll("[data-autosave-error]").forEach(function (el) { el.remove(); });
  }

  function mark(name, messages) {
    var field = form.elements.namedItem(name);
    if (!field) { return null; }
    var first = field.length !== undefined && !field.tagName ? field[0] : field;
    var note = document.createElement("div");
    note.className = "invalid-feedback d-block";
    note.setAttribute("data-autosave-error", "");
    note.textContent = messages.join("；");
    if (first.type === "radio" || first.type === "checkbox") {
      var group = first.closest("fieldset, [id^=div_], .form-group") || first.parentElement;
      group.appendChild(note);
    } else {
      first.classList.add("is-invalid");
      first.setAttribute("aria-invalid", "true");
      marked.push(first);
      var after = first.closest(".input-group") || first;
      after.insertAdjacentElement("afterend", note);
    }
    return first;
  }

  function applyErrors(errors) {
    clearMarks();
    var first = null, general = [];
    Object.keys(errors || {}).forEach(function (name) {
      if (name === "__all__") { general = general.concat(errors[name]); return; }
      var el = mark(name, errors[name]);
      first = first || el;
    });
    return { first: first, general: general };
  }

  // One save at a time; a change during a save is saved after it.
  function save(keepalive) {
    clearTimeout(timer);
    if (stopped) { return Promise.resolve(false); }
    if (running) {
      return running.then(function () { return dirty ? save(keepalive) : true; });
    }
    if (!dirty) { return Promise.resolve(true); }
    var sent = seq;
    show("正在保存……", "saving");
    var body = new FormData(form);
    var size = 0;
    body.forEach(function (value) { size += String(value).length * 3; });
    running = fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // a request that outlives the page is capped at 64 KB by the browser
      keepalive: !!keepalive && size < 60000,
      headers: { "X-Autosave": "1", "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (result) {
      var data = result.data || {};
      if (data.ok) {
        versionInput.value = data.version;
        Object.keys(data.ids || {}).forEach(function (name) {
          var input = form.elements.namedItem(name);
          if (input && input.tagName) { input.value = data.ids[name]; }
        });
        clearMarks();
        if (seq === sent) { dirty = false; }
        var total = document.querySelector("[data-testid=claimed-total]");
        if (total && data.claimed_total) { total.textContent = data.claimed_total; }
        show(dirty ? "有未保存的修改" : "已自动保存 " + data.saved_at, dirty ? "pending" : "saved");
        if (dirty) { timer = setTimeout(save, DELAY); }
        return true;
      }
      if (result.status === 409) {
        stopped = true;
        show("未自动保存：他人已修改这份自评。你的内容仍在页面上，请点击“保存草稿”核对差异后保存。", "error");
        return false;
      }
      if (result.status === 400 && data.errors) {
        var found = applyErrors(data.errors);
        var extra = found.general.length ? "：" + found.general.join("；") : "";
        show("保存失败，请检查标出的栏目" + extra, "error");
        firstError = found.first;
        if (jump) { jump.hidden = !firstError; }
        return false;
      }
      show("保存失败：" + (data.message || "服务器未能保存，请稍后再试或点击“保存草稿”。"), "error");
      return false;
    }).catch(function () {
      show("保存失败：网络连接中断，内容仍在页面上，恢复连接后将自动重试。", "error");
      timer = setTimeout(save, 10000);
      return false;
    }).then(function (ok) {
      running = null;
      return ok;
    });
    return running;
  }

  function flush() {
    if (!dirty && !running) { return Promise.resolve(true); }
    return save().then(function (ok) {
      if (!ok) {
        var bad = form.querySelector(".is-invalid, [data-autosave-error]");
        if (bad) {
          if (bad.focus) { bad.focus({ preventScroll: true }); }
          bad.scrollIntoView({ block: "center" });
        }
      }
      return ok;
    });
  }

  window.FilingAutosave = {
    flush: flush,
    isDirty: function () { return dirty || !!running; },
    show: show
  };

  // ------------------------------------------------------------------ submits
  document.addEventListener("submit", function (e) {
    if (bypass) {
      bypass = false;
      if (e.target === form) { dirty = false; }
      return;
    }
    var target = e.target, submitter = e.submitter;
    if (target === form) {
      if (!submitter || submitter.hasAttribute("data-default-submit")) {
        // Enter in a field: save in place, never navigate.
        e.preventDefault();
        flush();
        return;
      }
      clearTimeout(timer);
      if (running) {
        // Let the save in flight finish first, or this one would carry an old version.
        e.preventDefault();
        running.then(function () { bypass = true; form.requestSubmit(submitter); });
        return;
      }
      dirty = false;  // the page is being saved the ordinary way
      return;
    }
    // forms that act on the evaluation's version carry the step form's current one
    var syncVersion = function () {
      target.querySelectorAll("input[data-step-version]").forEach(function (input) {
        input.value = versionInput.value;
      });
    };
    if (target.closest("[data-no-autosave]") || stopped || !(dirty || running)) {
      syncVersion();
      return;
    }
    // An upload, a reply, a delete: save what is typed in the step form first.
    e.preventDefault();
    e.stopImmediatePropagation();
    flush().then(function (ok) {
      if (ok) {
        syncVersion();
        bypass = true;
        target.requestSubmit(submitter || undefined);
      } else {
        show("保存失败，请检查标出的栏目（先更正并保存，再上传或回复；已输入的内容仍在页面上）", "error");
      }
    });
  }, true);

  // The step links save first, then go.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-step-link]");
    if (!link || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) { return; }
    if (!(dirty || running) || stopped) { return; }
    e.preventDefault();
    flush().then(function (ok) { if (ok) { window.location.href = link.href; } });
  });

  window.addEventListener("beforeunload", function (e) {
    if (dirty || running) { e.preventDefault(); e.returnValue = ""; }
  });
})();
