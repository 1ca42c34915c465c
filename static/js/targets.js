// 履职效能 rows declared in the approved 绩效目标申报: show the "调整批复指标的理由" field as
// soon as the target or points on the page differ from the approved ones (the server refuses
// the save without a reason either way). No inline script: hangs off data-approved.
(function () {
  "use strict";
  var NUMBERS = ["target_value", "target_max", "points"];
  var FIELDS = ["target_text", "operator", "target_value", "target_max", "target_date", "unit", "points"];

  function same(name, approved, typed) {
    approved = approved === null || approved === undefined ? "" : String(approved).trim();
    typed = (typed || "").trim();
    if (NUMBERS.indexOf(name) >= 0 && approved !== "" && typed !== "") {
      var a = parseFloat(approved), t = parseFloat(typed.replace(/[,，]/g, ""));
      if (!isNaN(a) && !isNaN(t)) return a === t;
    }
    return approved === typed;
  }

  function update(row, box) {
    var approved = JSON.parse(box.dataset.approved);
    var changed = FIELDS.some(function (name) {
      var input = row.querySelector("[name$='-" + name + "']");
      return input && !same(name, approved[name], input.value);
    });
    var reasonBox = box.querySelector("[data-change-reason]");
    var reason = reasonBox.querySelector("textarea, input");
    reasonBox.classList.toggle("d-none", !changed && !(reason && reason.value.trim()));
  }

  document.querySelectorAll("[data-approved]").forEach(function (box) {
    var row = box.closest("[data-row]");
    if (!row) return;
    row.addEventListener("input", function () { update(row, box); });
    row.addEventListener("change", function () { update(row, box); });
  });
})();
