// A table that scrolls sideways (.table-responsive on a narrow screen) can be reached and
// scrolled with the keyboard: it gets a tab stop and a name while, and only while, it scrolls.
(function () {
  "use strict";

  function update() {
    document.querySelectorAll(".table-responsive, .inline-group .wrapper").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", "表格（可左右滚动）");
        box.setAttribute("data-scroll-stop", "1");
      } else if (!scrolls && box.hasAttribute("data-scroll-stop")) {
        ["tabindex", "role", "aria-label", "data-scroll-stop"].forEach(function (name) {
          box.removeAttribute(name);
        });
      }
    });
  }

  var timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 150);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  // again once styles, fonts and images are in: a table may only then turn out too wide
  window.addEventListener("load", update);
})();
