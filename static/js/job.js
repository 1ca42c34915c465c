// Progress of a bulk job: polls its status until it is done or failed.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var bar = box.querySelector("[data-job-bar]");
  function show(percent) {
    bar.style.width = percent + "%";  // CSSOM, allowed by the CSP (no inline style attribute)
    bar.textContent = percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", percent);
  }
  show(parseInt(bar.dataset.percent, 10) || 0);
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        show(s.percent);
        box.querySelector("[data-job-state]").textContent = s.state_label;
        box.querySelector("[data-job-done]").textContent = s.done;
        box.querySelector("[data-job-total]").textContent = s.total;
        box.querySelector("[data-job-message]").textContent = s.message;
        var errors = box.querySelector("[data-job-errors]");
        errors.textContent = "";
        s.errors.forEach(function (e) {
          var li = document.createElement("li"); li.textContent = e; errors.appendChild(li);
        });
        if (s.result) {
          var link = box.querySelector("[data-job-result]");
          link.href = s.result; link.classList.remove("d-none");
        }
        var beat = box.querySelector("[data-job-heartbeat]");
        if (beat && s.heartbeat) { beat.textContent = s.heartbeat; }
        if (s.state === "queued" || s.state === "running") { setTimeout(poll, 1000); }
        else { window.location.reload(); }  // the buttons (cancel, restart) follow the state
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.state === "queued" || box.dataset.state === "running") { poll(); }
})();
