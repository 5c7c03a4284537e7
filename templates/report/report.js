// llmgit report: client-side sorting and filtering of tables and the stage timeline.
// Plain DOM code, no libraries; the page works without it.
(function () {
  "use strict";

  function cellKey(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent;
    if (!numeric) { return raw.trim().toLowerCase(); }
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }

  function sortBy(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var numeric = th.getAttribute("data-sort") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a, index, numeric), y = cellKey(b, index, numeric);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function items(target) {
    return target.tagName === "TABLE"
      ? Array.prototype.slice.call(target.tBodies[0].rows)
      : Array.prototype.slice.call(target.children);
  }

  function applyFilters(id) {
    var target = document.getElementById(id);
    if (!target) { return; }
    var text = document.querySelector('[data-filter-for="' + id + '"]');
    var stage = document.querySelector('[data-filter-stage-for="' + id + '"]');
    var terms = text ? text.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    var wanted = stage ? stage.value : "";
    var all = items(target), shown = 0;
    all.forEach(function (el) {
      var content = el.textContent.toLowerCase();
      var stages = (el.getAttribute("data-stages") || el.getAttribute("data-stage") || "").split(" ");
      var ok = terms.every(function (t) { return content.indexOf(t) !== -1; }) &&
        (!wanted || stages.indexOf(wanted) !== -1);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var count = document.querySelector('[data-count-for="' + id + '"]');
    if (count) { count.textContent = shown === all.length ? all.length + " shown" : shown + " of " + all.length + " shown"; }
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
      });
    });
  });
  var ids = {};
  document.querySelectorAll("[data-filter-for], [data-filter-stage-for]").forEach(function (el) {
    var id = el.getAttribute("data-filter-for") || el.getAttribute("data-filter-stage-for");
    ids[id] = true;
    el.addEventListener("input", function () { applyFilters(id); });
    el.addEventListener("change", function () { applyFilters(id); });
  });
  Object.keys(ids).forEach(applyFilters);
}());
