// The Chinese file input (templates/_file_input.html): shows what was chosen next to the
// button, "未选择文件" when nothing is, and again after the form is reset.
(function () {
  "use strict";

  function describe(input) {
    var files = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    if (!files.length) return null;
    if (files.length === 1) return "已选择：" + files[0];
    var shown = files.slice(0, 3).join("、") + (files.length > 3 ? "等" : "");
    return "已选择 " + files.length + " 个文件：" + shown;
  }

  function update(input) {
    var state = document.getElementById(input.id + "-state");
    if (!state) return;
    var text = describe(input);
    state.textContent = text || state.getAttribute("data-empty");
    state.classList.toggle("text-muted", !text);
    state.title = text || "";
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-file-pick] input[type=file]")) update(input);
  });
  document.addEventListener("reset", function (event) {
    var form = event.target;
    window.setTimeout(function () {
      document.querySelectorAll("[data-file-pick] input[type=file]").forEach(function (input) {
        if (input.form === form) update(input);
      });
    }, 0);
  });
  // a page restored from the back/forward cache may still hold a chosen file
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-file-pick] input[type=file]").forEach(update);
  });
})();
