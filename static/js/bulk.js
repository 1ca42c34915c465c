// 审核工作台的批量操作：「全选本页」、已选计数、「全部符合当前筛选条件」与执行前确认。
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var all = document.querySelector("[data-bulk-all]");
  var scope = form.querySelector("[data-bulk-scope]");
  var count = form.querySelector("[data-bulk-count]");
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]"));
  }
  function selected() {
    if (scope && scope.checked) return parseInt(scope.getAttribute("data-total"), 10) || 0;
    return rows().filter(function (r) { return r.checked; }).length;
  }
  function update() {
    var boxes = rows();
    var ticked = boxes.filter(function (r) { return r.checked; }).length;
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (count) count.textContent = String(selected());
  }
  if (all) {
    all.addEventListener("change", function () {
      rows().forEach(function (r) { r.checked = all.checked; });
      update();
    });
  }
  rows().forEach(function (r) { r.addEventListener("change", update); });
  if (scope) scope.addEventListener("change", update);
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var label = button && button.getAttribute("data-bulk-confirm");
    if (!label) return;
    var n = selected();
    if (n === 0) {
      event.preventDefault();
      window.alert("请先勾选要操作的自评。");
      return;
    }
    if (!window.confirm("确定对所选的 " + n + " 份自评执行“" + label + "”？每一份单独处理，未能处理的会逐一说明原因。")) {
      event.preventDefault();
    }
  });
  update();
})();
