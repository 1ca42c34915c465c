// 绩效自评 佐证材料: a chosen file is uploaded at once (with progress), 关联/移除/上传 are sent
// without reloading the page, after the step form's typed input has been saved
// (static/js/autosave.js). The server answers in JSON with the indicator's evidence box
// rendered again; an upload to the library (several files) reloads the page once, to show the
// new files in every indicator's choice.
(function () {
  "use strict";

  var NOTICE = "evidence-notice";

  function flushFirst() {
    return window.FilingAutosave ? window.FilingAutosave.flush() : Promise.resolve(true);
  }

  function boxFor(form, submitter) {
    var code = submitter && submitter.name === "indicator" ? submitter.value
      : (form.querySelector("input[name=indicator]") || {}).value || "";
    return { code: code, box: document.querySelector("[data-evidence-box='" + code + "']") };
  }

  function feedback(box, done, errors) {
    var out = box && box.querySelector(".evidence-feedback");
    if (!out) { return; }
    out.textContent = "";
    (done || []).forEach(function (m) {
      var p = document.createElement("div"); p.className = "text-success"; p.textContent = m; out.appendChild(p);
    });
    (errors || []).forEach(function (m) {
      var p = document.createElement("div"); p.className = "text-danger"; p.textContent = m; out.appendChild(p);
    });
  }

  function send(form, submitter) {
    var target = boxFor(form, submitter);
    var box = target.box;
    var url = submitter && submitter.getAttribute("formaction") ? submitter.formAction : form.action;
    var body = new FormData(form, submitter || undefined);
    var progress = box && box.querySelector(".evidence-progress");
    var busy = box ? box.querySelectorAll("button, input, select") : [];
    busy.forEach(function (el) { el.disabled = true; });
    if (progress) { progress.hidden = false; progress.value = 0; }
    feedback(box, [form.querySelector("input[type=file]") || body.getAll("files").length ? "正在上传……" : "正在处理……"], []);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (progress && e.lengthComputable) { progress.value = Math.round(e.loaded * 100 / e.total); }
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (!data) {
        busy.forEach(function (el) { el.disabled = false; });
        if (progress) { progress.hidden = true; }
        feedback(box, [], ["未能完成：服务器没有正常答复（状态 " + xhr.status + "），请稍后再试。"]);
        return;
      }
      if (!target.code && data.done && data.done.length) {
        // the library changed: every indicator's choice of files must show it
        try { sessionStorage.setItem(NOTICE, JSON.stringify(data)); } catch (err) { /* ignore */ }
        document.querySelectorAll("input[type=file][data-auto-upload]").forEach(function (input) {
          input.value = "";  // uploaded: nothing to warn about on the reload
        });
        window.location.reload();
        return;
      }
      if (box && data.html) {
        var holder = document.createElement("div");
        holder.innerHTML = data.html.trim();
        var fresh = holder.firstElementChild;
        box.replaceWith(fresh);
        box = fresh;
      } else {
        busy.forEach(function (el) { el.disabled = false; });
      }
      feedback(box, data.done, data.errors);
    });
    xhr.addEventListener("error", function () {
      busy.forEach(function (el) { el.disabled = false; });
      if (progress) { progress.hidden = true; }
      feedback(box, [], ["未能完成：网络连接中断，请稍后再试。已选择的文件仍在，可再次点击“上传”。"]);
    });
    xhr.send(body);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-evidence-form")) { return; }
    e.preventDefault();
    var submitter = e.submitter;
    flushFirst().then(function (ok) {
      if (ok) { send(form, submitter); }
    });
  });

  // A chosen file is uploaded at once: never chosen and then forgotten.
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-auto-upload]") || !input.files.length) { return; }
    var form = input.form;
    if (form) { form.requestSubmit(); }
  });

  // A file chosen whose upload failed (the connection dropped) is not left behind silently.
  window.addEventListener("beforeunload", function (e) {
    var pending = Array.from(document.querySelectorAll("input[type=file][data-auto-upload]"))
      .some(function (input) { return input.files && input.files.length; });
    if (pending) { e.preventDefault(); e.returnValue = ""; }
  });

  try {
    var saved = sessionStorage.getItem(NOTICE);
    if (saved) {
      sessionStorage.removeItem(NOTICE);
      var data = JSON.parse(saved);
      feedback(document.querySelector("[data-evidence-box='']"), data.done, data.errors);
    }
  } catch (err) { /* ignore */ }
})();
