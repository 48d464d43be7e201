// Graphs: open a scope in place.
(function () {
  "use strict";

  // A bold box links to its scope's entry in the outline (which works without
  // JavaScript); here the link shows that entry's picture in the graph's own frame
  // instead, with the path back above it.
  Array.prototype.forEach.call(document.querySelectorAll(".graph-viewer"), function (viewer) {
    var box = viewer.querySelector(".graphbox");
    var crumbs = viewer.querySelector(".graph-crumbs");
    if (!box || !crumbs) return;
    var overview = box.firstElementChild;
    function entry(id) {
      var e = id ? document.getElementById(id) : null;
      return e && e.classList.contains("gscope-body") ? e : null;
    }
    function picture(e) {
      var frame = e && e.querySelector(".graphbox");
      return frame && frame.parentNode === e ? frame.querySelector("svg") : null;
    }
    function crumb(text, target) {
      var el;
      if (target === undefined) {
        el = document.createElement("span");
        el.setAttribute("aria-current", "location");
      } else if (target === null || picture(entry(target))) {
        el = document.createElement("button");
        el.type = "button";
        el.addEventListener("click", function () { show(target); });
      } else {
        el = document.createElement("span");
      }
      el.textContent = text;
      return el;
    }
    function show(id) {
      var e = entry(id);
      var svg = picture(e);
      if (id && !svg) return false;
      var node = svg ? svg.cloneNode(true) : overview;
      box.replaceChildren(node);
      crumbs.replaceChildren();
      if (e) {
        var chain = [];
        for (var x = e; x; x = entry(x.getAttribute("data-parent"))) chain.unshift(x);
        crumbs.appendChild(crumb("Overview", null));
        chain.forEach(function (x, i) {
          var sep = document.createElement("span");
          sep.className = "sep";
          sep.textContent = "›";
          crumbs.appendChild(sep);
          var text = x.getAttribute("data-crumb") || x.id;
          crumbs.appendChild(crumb(text, i === chain.length - 1 ? undefined : x.id));
        });
      }
      crumbs.hidden = !e;
      box.scrollTop = 0;
      box.scrollLeft = 0;
      return true;
    }
    viewer.addEventListener("click", function (ev) {
      var a = ev.target && ev.target.closest ? ev.target.closest("a") : null;
      if (!a || !box.contains(a)) return;
      var href = a.getAttribute("href") || "";
      if (href.charAt(0) === "#" && show(href.slice(1))) ev.preventDefault();
    });
  });
})();
