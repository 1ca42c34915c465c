// 绩效自评 filing pages: character counts, the 履职效能 rows (add, remove, reorder),
// live rates on the 收支数据 step.
// No inline script anywhere: everything hangs off data- attributes.
(function () {
  "use strict";

  // ------------------------------------------------------------------ character counts
  function countChars(textarea) {
    var out = textarea.nextElementSibling;
    if (!out || !out.classList.contains("char-count")) {
      out = document.createElement("div");
      out.className = "char-count";
      out.setAttribute("aria-live", "polite");
      textarea.insertAdjacentElement("afterend", out);
    }
    out.textContent = "已输入 " + Array.from(textarea.value.replace(/\s/g, "")).length + " 字";
  }
  document.querySelectorAll("textarea[data-count]").forEach(function (t) {
    countChars(t);
    t.addEventListener("input", function () { countChars(t); });
  });

  // ------------------------------------------------------------------ unsaved changes
  // Saving typed input (autosave, before uploads and replies, before leaving) is
  // static/js/autosave.js's; changes made here without an input event are announced to it.
  var form = document.getElementById("step-form");
  function touched() {
    if (form) { form.dispatchEvent(new CustomEvent("autosave:changed")); }
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); }
    });
  });
  // 全部符合: the first option of every item of a checklist indicator.
  document.querySelectorAll("[data-all-first]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var card = button.closest(".indicator-card");
      card.querySelectorAll(".checklist-item").forEach(function (item) {
        var first = item.querySelector("input[type=radio]");
        if (first && !first.checked) {
          first.checked = true;
          first.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // ------------------------------------------------------------------ 履职效能 rows
  var tasks = document.querySelector("[data-task-container]");
  function totalInput(prefix) { return document.getElementById("id_" + prefix + "-TOTAL_FORMS"); }
  function fromTemplate(id, replacements) {
    var html = document.getElementById(id).innerHTML;
    Object.keys(replacements).forEach(function (key) {
      html = html.split(key).join(replacements[key]);
    });
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }
  function visible(container, selector) {
    return Array.from(container.querySelectorAll(":scope > " + selector)).filter(function (el) {
      return !el.classList.contains("d-none");
    });
  }
  function renumber(container, selector) {
    visible(container, selector).forEach(function (el, i) {
      var order = el.querySelector("input[name$='-ORDER']");
      if (order) { order.value = i + 1; }
    });
  }
  function sumPoints() {
    var box = document.querySelector("[data-points-total]");
    if (!box || !tasks) { return; }
    var total = 0, ok = true;
    tasks.querySelectorAll("[data-task]:not(.d-none) [data-row]:not(.d-none) input[name$='-points']").forEach(function (input) {
      var v = parseFloat(input.value.replace(/[,，\s]/g, "").replace(/[０-９．]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
      }));
      if (isNaN(v)) { ok = ok && input.value.trim() === ""; } else { total += v; }
    });
    var expected = parseFloat(box.dataset.expected);
    box.querySelector("[data-sum]").textContent = ok ? (Math.round(total * 100) / 100).toString() : "—";
    box.classList.toggle("match", ok && Math.abs(total - expected) < 0.005);
    box.classList.toggle("mismatch", !ok || Math.abs(total - expected) >= 0.005);
  }
  if (tasks) {
    document.querySelectorAll("[data-add-task]").forEach(function (button) {
      button.addEventListener("click", function () {
        var total = totalInput("tasks");
        var index = parseInt(total.value, 10);
        var block = fromTemplate("task-template", { "__prefix__": String(index) });
        tasks.appendChild(block);
        total.value = index + 1;
        renumber(tasks, "[data-task]");
        var empty = document.querySelector("[data-empty-tasks]");
        if (empty) { empty.remove(); }
        block.querySelector("[data-add-row]").click();
        block.querySelector("input[name$='-name']").focus();
        touched();
      });
    });
    tasks.addEventListener("click", function (e) {
      var target = e.target.closest("button");
      if (!target) { return; }
      var task = target.closest("[data-task]");
      if (target.hasAttribute("data-add-row")) {
        var container = task.querySelector("[data-row-container]");
        var prefix = container.dataset.prefix;
        var total = totalInput(prefix);
        var index = parseInt(total.value, 10);
        var row = fromTemplate("row-template", {
          "__task__": task.dataset.index, "__prefix__": String(index)
        });
        container.appendChild(row);
        total.value = index + 1;
        renumber(container, "[data-row]");
        row.querySelector("input[name$='-name']").focus();
      } else if (target.hasAttribute("data-remove-row")) {
        var r = target.closest("[data-row]");
        r.querySelector("input[name$='-DELETE']").checked = true;
        r.classList.add("d-none");
        renumber(r.parentElement, "[data-row]");
      } else if (target.hasAttribute("data-remove-task")) {
        if (!window.confirm("删除该任务及其全部指标？（保存后生效）")) { return; }
        task.querySelector("input[name$='-DELETE']").checked = true;
        task.classList.add("d-none");
        renumber(tasks, "[data-task]");
      } else if (target.dataset.move) {
        var isRow = !!target.closest("[data-row]");
        var item = isRow ? target.closest("[data-row]") : task;
        var selector = isRow ? "[data-row]" : "[data-task]";
        var siblings = visible(item.parentElement, selector);
        var i = siblings.indexOf(item);
        if (target.dataset.move === "up" && i > 0) {
          item.parentElement.insertBefore(item, siblings[i - 1]);
        } else if (target.dataset.move === "down" && i < siblings.length - 1) {
          item.parentElement.insertBefore(siblings[i + 1], item);
        }
        renumber(item.parentElement, selector);
      } else {
        return;
      }
      touched();
      sumPoints();
    });
    tasks.addEventListener("input", sumPoints);
    sumPoints();

    // 完成情况 follows the numbers where both are given (as the score does: rubric row_met),
    // so the filer chooses it only for rows without numbers.
    var number = function (input) {
      if (!input) { return NaN; }
      var text = input.value.replace(/[０-９．]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
      }).replace(/[,，\s%％]/g, "");
      return text === "" ? NaN : Number(text);
    };
    var field = function (row, name) { return row.querySelector("[name$='-" + name + "']"); };
    var derive = function (row) {
      var achieved = field(row, "achieved"), op = (field(row, "operator") || {}).value;
      var t = number(field(row, "target_value")), a = number(field(row, "actual_value"));
      if (!achieved || isNaN(t) || isNaN(a) || op === "text" || op === "date") { return; }
      var high = number(field(row, "target_max"));
      var met = {
        ">=": a >= t, "<=": a <= t, "=": a === t, ">": a > t, "<": a < t,
        "between": t <= a && a <= (isNaN(high) ? t : high)
      }[op];
      if (met === undefined) { return; }
      var value = met ? "yes" : "no";
      if (achieved.value !== value) {
        achieved.value = value;
        achieved.dispatchEvent(new Event("change", { bubbles: true }));
      }
    };
    tasks.addEventListener("input", function (e) {
      var row = e.target.closest("[data-row]");
      if (row) { derive(row); }
    });
    tasks.addEventListener("change", function (e) {
      var row = e.target.closest("[data-row]");
      if (row && !/-achieved$/.test(e.target.name)) { derive(row); }
    });
  }

  // ------------------------------------------------------------------ live rates (收支数据)
  var header = document.getElementById("header-table");
  if (header && form) {
    var timer = null;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var body = new FormData(form);
        fetch(header.dataset.previewUrl, {
          method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin"
        }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
          if (!data) { return; }
          Object.keys(data.rates).forEach(function (key) {
            var cell = header.querySelector("[data-rate='" + key + "']");
            if (cell) { cell.textContent = data.rates[key]; }
          });
          Object.keys(data.lines).forEach(function (code) {
            var c = document.querySelector("[data-computed='" + code + "']");
            var b = document.querySelector("[data-basis='" + code + "']");
            if (c) { c.textContent = data.lines[code].computed || "—"; }
            if (b) { b.textContent = data.lines[code].basis; }
          });
        }).catch(function () { /* the preview is a convenience; saving is unaffected */ });
      }, 400);
    });
  }
})();
