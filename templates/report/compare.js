// llmgit report, model pages only: the metric chart picker and the compare view.
// Plain DOM code, no libraries, no requests; every value is set as text (textContent), never
// as markup. The compare view's data is the JSON in #compare-data's data-doc attribute.
(function () {
  "use strict";

  function charts() {
    var select = document.querySelector("[data-chart-select]");
    if (!select) { return; }
    function show() {
      document.querySelectorAll("[data-chart]").forEach(function (fig) {
        fig.hidden = fig.getAttribute("data-chart") !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function fmt(n) {
    if (typeof n !== "number") { return String(n); }
    var a = Math.abs(n);
    if (a !== 0 && (a >= 1e16 || a < 1e-4)) { return n.toExponential(3).replace(/\.?0+e/, "e"); }
    return String(parseFloat(n.toPrecision(4)));
  }

  function delta(base, value, direction) {
    // [text, class] of value against base
    if (value === undefined) { return ["", "delta-none"]; }
    if (base === undefined) { return ["new", "delta-added"]; }
    if (typeof base !== "number" || typeof value !== "number") {
      return base === value ? ["same", "delta-same"] : ["changed", "delta-changed"];
    }
    var d = value - base;
    if (d === 0) { return ["same", "delta-same"]; }
    var text = (d > 0 ? "+" : "-") + fmt(Math.abs(d));
    if (base !== 0 && isFinite(d / Math.abs(base))) {
      text += " (" + (d > 0 ? "+" : "") + (d / Math.abs(base) * 100).toFixed(1) + "%)";
    }
    if (direction === "higher" || direction === "lower") {
      var better = direction === "higher" ? d > 0 : d < 0;
      return [text, better ? "delta-better" : "delta-worse"];
    }
    return [text, d > 0 ? "delta-up" : "delta-down"];
  }

  function own(obj, key) {
    return obj && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  }

  function namesOf(docs, part) {
    var names = [], seen = Object.create(null);
    docs.forEach(function (d) {
      Object.keys(d[part] || {}).forEach(function (k) { if (!seen[k]) { seen[k] = true; names.push(k); } });
    });
    return names;
  }

  function head(table, names) {
    var row = table.createTHead().insertRow();
    names.forEach(function (n) { row.appendChild(el("th", "", n)); });
  }

  function fieldTable(picked, docs, part, what) {
    var names = namesOf(docs, part);
    var differ = names.filter(function (k) {
      return docs.some(function (d) { return own(d[part], k) !== own(docs[0][part], k); });
    });
    var box = el("div", "compare-part compare-" + part);
    if (differ.length) {
      var table = el("table", "data compare");
      head(table, [what].concat(picked.map(function (v) { return "v" + v; })));
      var body = table.createTBody();
      differ.forEach(function (k) {
        var row = body.insertRow();
        row.appendChild(el("td", "field", k));
        docs.forEach(function (d) {
          var v = own(d[part], k);
          row.appendChild(v === undefined ? el("td", "muted", "not recorded") : el("td", "", v));
        });
      });
      box.appendChild(el("div", "table-wrap")).appendChild(table);
    }
    var same = names.length - differ.length;
    box.appendChild(el("p", "muted", differ.length ? (same ? same + " identical " + what.toLowerCase() + "(s) not shown." : "")
      : "No " + what.toLowerCase() + " differs" + (same ? " (" + same + " identical)." : ".")));
    return box;
  }

  function metricTable(picked, docs, directions) {
    var names = namesOf(docs, "metrics");
    var box = el("div", "compare-part compare-metrics");
    if (!names.length) { box.appendChild(el("p", "muted", "No metrics recorded.")); return box; }
    var table = el("table", "data compare");
    head(table, ["Metric"].concat(picked.map(function (v) { return "v" + v; })));
    var body = table.createTBody();
    names.forEach(function (k) {
      var row = body.insertRow();
      var name = row.appendChild(el("td", "field", k));
      var direction = own(directions, k);
      if (direction) { name.appendChild(el("span", "muted", " (" + direction + " is better)")); }
      var base = own(docs[0].metrics, k);
      docs.forEach(function (d, i) {
        var v = own(d.metrics, k);
        var cell = row.appendChild(el("td", "num", v === undefined ? "not recorded" : fmt(v)));
        if (i > 0) {
          var dv = delta(base, v, direction);
          if (dv[0]) { cell.appendChild(document.createTextNode(" ")); cell.appendChild(el("span", "delta " + dv[1], dv[0])); }
        }
      });
    });
    box.appendChild(el("div", "table-wrap")).appendChild(table);
    return box;
  }

  function fileDiff(a, b) {
    // llmgit diff's statuses over the two file lists; a capped list bounds the relpaths compared
    var bound = null;
    [a, b].forEach(function (w) {
      if (w.capped && w.files.length) {
        var last = w.files[w.files.length - 1][0];
        if (bound === null || last < bound) { bound = last; }
      }
    });
    var x = Object.create(null), y = Object.create(null), all = Object.create(null);
    a.files.forEach(function (f) { if (bound === null || f[0] <= bound) { x[f[0]] = f[1]; all[f[0]] = true; } });
    b.files.forEach(function (f) { if (bound === null || f[0] <= bound) { y[f[0]] = f[1]; all[f[0]] = true; } });
    var out = [], same = 0;
    Object.keys(all).sort().forEach(function (p) {
      if (!(p in x)) { out.push([p, "added"]); }
      else if (!(p in y)) { out.push([p, "removed"]); }
      else if (x[p] !== y[p]) { out.push([p, "changed"]); }
      else { same += 1; }
    });
    return {files: out, same: same, bound: bound};
  }

  function filesPart(picked, docs, doc) {
    var box = el("div", "compare-part compare-files");
    var base = docs[0].weights;
    var limit = doc.limits || {};
    for (var i = 1; i < docs.length; i += 1) {
      box.appendChild(el("h4", "", "v" + picked[0] + " \u2192 v" + picked[i]));
      var key = docs[i].weights;
      var a = base && own(doc.weights, base), b = key && own(doc.weights, key);
      var note = null;
      if (!base || !key) { note = "v" + (base ? picked[i] : picked[0]) + " records no weights."; }
      else if (base === key) { note = "Identical weights (same DVC md5)."; }
      else if (!a || !b) { note = "Different weights; the file list is only carried for the " + limit.file_versions + " newest versions."; }
      else if (a.files === null || b.files === null) { note = "Different weights; file list " + (a.files === null ? a.note : b.note); }
      if (note) { box.appendChild(el("p", "muted files-note", note)); continue; }
      var d = fileDiff(a, b);
      var count = function (s) { return d.files.filter(function (f) { return f[1] === s; }).length; };
      box.appendChild(el("p", "files-summary", count("changed") + " file(s) changed, " + count("added") + " added, " +
        count("removed") + " removed, " + d.same + " identical."));
      if (d.bound !== null) {
        box.appendChild(el("p", "muted files-note", "File lists are capped at " + limit.files +
          " files per version: compared up to " + d.bound + "."));
      }
      if (d.files.length) {
        var table = el("table", "data compare files");
        head(table, ["File", "Status"]);
        var body = table.createTBody();
        d.files.forEach(function (f) {
          var row = body.insertRow();
          row.appendChild(el("td")).appendChild(el("code", "", f[0]));
          row.appendChild(el("td")).appendChild(el("span", "badge file-" + f[1], f[1]));
        });
        box.appendChild(el("div", "table-wrap")).appendChild(table);
      }
    }
    return box;
  }

  function compare() {
    var holder = document.getElementById("compare-data");
    var button = document.querySelector("[data-compare-button]");
    var section = document.getElementById("compare");
    if (!holder || !button || !section) { return; }
    var doc;
    try { doc = JSON.parse(holder.getAttribute("data-doc")); } catch (e) { return; }
    if (!doc || !doc.versions) { return; }
    var count = document.querySelector("[data-compare-count]");
    var order = [];  // in the order ticked: the first is the baseline
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-compare]"));
    function update() {
      button.disabled = order.length < 2;
      if (count) {
        count.textContent = order.length ? order.length + " selected (baseline v" + order[0] + ")"
          : "tick 2 or more versions to compare them";
      }
    }
    boxes.forEach(function (box) {
      if (box.checked) { order.push(box.value); }
      box.addEventListener("change", function () {
        var at = order.indexOf(box.value);
        if (box.checked && at === -1) { order.push(box.value); }
        if (!box.checked && at !== -1) { order.splice(at, 1); }
        update();
      });
    });
    update();
    button.addEventListener("click", function () {
      var picked = order.slice();
      var empty = {params: {}, metrics: {}, card: {}, weights: null};
      var docs = picked.map(function (v) {
        return own(doc.versions, v) || empty;
      });
      var body = document.getElementById("compare-body");
      body.textContent = "";
      body.appendChild(el("h3", "", "Parameters"));
      body.appendChild(fieldTable(picked, docs, "params", "Parameter"));
      body.appendChild(el("h3", "", "Metrics"));
      body.appendChild(metricTable(picked, docs, doc.directions || {}));
      body.appendChild(el("h3", "", "Model card"));
      body.appendChild(fieldTable(picked, docs, "card", "Field"));
      body.appendChild(el("h3", "", "Changed files"));
      body.appendChild(filesPart(picked, docs, doc));
      section.hidden = false;
      section.scrollIntoView();
    });
  }

  charts();
  compare();
}());
