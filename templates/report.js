// tbreport: small progressive enhancements. Everything is readable without them.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // ------------------------------------------------------------ sortable tables
  function cellKey(td, numeric) {
    var raw = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent.trim();
    if (!numeric) return raw.toLowerCase();
    var v = parseFloat(raw);
    return isNaN(v) ? null : v;
  }
  function sortBy(table, index, th) {
    var type = th.getAttribute("data-type") || "text";
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var numeric = type === "num";
    if (type === "mixed") {
      numeric = rows.every(function (r) {
        var c = r.cells[index];
        var s = c ? (c.getAttribute("data-sort") || "") : "";
        return s === "" || !isNaN(parseFloat(s));
      });
    }
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var keyed = rows.map(function (r, i) { return { row: r, i: i, key: r.cells[index] ? cellKey(r.cells[index], numeric) : null }; });
    keyed.sort(function (a, b) {
      if (a.key === null && b.key === null) return a.i - b.i;
      if (a.key === null) return 1;   // missing values last, whatever the direction
      if (b.key === null) return -1;
      var c = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return (asc ? c : -c) || a.i - b.i;
    });
    keyed.forEach(function (k) { tbody.appendChild(k.row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    Array.prototype.forEach.call(head.cells, function (th, index) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, index, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, index, th); }
      });
    });
  });

  // ------------------------------------------------------------ tag filter (as TensorBoard's)
  var filter = document.getElementById("tag-filter");
  if (filter) {
    var cards = Array.prototype.slice.call(document.querySelectorAll("figure.card[data-tag]"));
    var groups = Array.prototype.slice.call(document.querySelectorAll("section.group"));
    var count = document.querySelector(".filter-count");
    var apply = function () {
      var text = filter.value.trim();
      var re = null;
      filter.classList.remove("bad");
      if (text) {
        try { re = new RegExp(text); } catch (err) { filter.classList.add("bad"); return; }
      }
      var shown = 0;
      cards.forEach(function (card) {
        var keep = !re || re.test(card.getAttribute("data-tag"));
        card.classList.toggle("filtered-out", !keep);
        if (keep) shown += 1;
      });
      groups.forEach(function (g) {
        var inside = g.querySelectorAll("figure.card[data-tag]");
        var any = inside.length === 0 || Array.prototype.some.call(inside, function (c) {
          return !c.classList.contains("filtered-out");
        });
        g.classList.toggle("filtered-out", !any);
        var link = g.id && document.querySelector('nav.toc a[href="#' + g.id + '"]');
        if (link && link.parentNode) link.parentNode.classList.toggle("filtered-out", !any);
      });
      if (count) count.textContent = re ? shown + " of " + cards.length + " shown" : "";
    };
    filter.addEventListener("input", apply);
  }

})();
