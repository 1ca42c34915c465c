// Progress of a PDF rendered by the worker: the draft preview page polls its status and opens
// the PDF when it is ready; the review page polls a publication and reloads once it is done.
(function () {
  "use strict";

  var box = document.getElementById("pdf-progress");
  if (box) {
    var started = Date.now();
    var elapsed = box.querySelector("[data-pdf-elapsed]");
    var tick = setInterval(function () {
      elapsed.textContent = Math.round((Date.now() - started) / 1000);
    }, 1000);
    var show = function (s) {
      box.dataset.state = s.state;
      box.querySelector("[data-pdf-bar]").textContent = s.state_label;
      box.querySelector("[data-pdf-working]").hidden = s.state === "failed";
      box.querySelector("[data-pdf-failed]").hidden = s.state !== "failed";
      if (s.message) { box.querySelector("[data-pdf-message]").textContent = s.message; }
    };
    var poll = function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          show(s);
          if (s.ready) { clearInterval(tick); window.location.replace(s.url); return; }
          if (s.state === "failed") { clearInterval(tick); return; }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    if (box.dataset.state !== "failed") { setTimeout(poll, 800); }
  }

  var publication = document.getElementById("publication-progress");
  if (publication) {
    var check = function () {
      fetch(publication.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.published || s.state === "failed" || s.state === "") {
            window.location.reload();
            return;
          }
          publication.querySelector("[data-pdf-label]").textContent = s.state_label;
          setTimeout(check, 1500);
        })
        .catch(function () { setTimeout(check, 3000); });
    };
    setTimeout(check, 1500);
  }
})();
