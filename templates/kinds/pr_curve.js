// PR curves: a step slider per chart. Each run shows its curve at the chosen step (its
// latest drawn step at or before it) in bold, the other drawn steps faint; the legend
// follows (step, AP).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".prcard"), function (card) {
    var slider = card.querySelector(".pr-steps");
    if (!slider) return;
    var input = slider.querySelector("input");
    var output = slider.querySelector("output");
    var steps = slider.getAttribute("data-steps").split(",").map(Number);
    var paths = Array.prototype.slice.call(card.querySelectorAll("svg.prplot .curves path"));
    var group = card.querySelector("svg.prplot .curves");
    var rows = card.querySelectorAll("tbody tr[data-run]");
    function show() {
      var at = steps[parseInt(input.value, 10)];
      if (output) output.textContent = at.toLocaleString("en-US");
      var chosen = {};
      paths.forEach(function (p) {
        var run = p.getAttribute("data-run");
        var step = Number(p.getAttribute("data-step"));
        var best = chosen[run];
        var bestStep = best ? Number(best.getAttribute("data-step")) : null;
        // the latest step at or before `at`; else the earliest one
        if (!best || (step <= at && (bestStep > at || step > bestStep)) || (bestStep > at && step < bestStep)) {
          chosen[run] = p;
        }
      });
      paths.forEach(function (p) {
        var on = chosen[p.getAttribute("data-run")] === p;
        p.setAttribute("class", on ? "cur" : "old");
        if (on) group.appendChild(p);  // in front
      });
      Array.prototype.forEach.call(rows, function (r) {
        var p = chosen[r.getAttribute("data-run")];
        if (!p) return;
        var stepCell = r.querySelector(".prstep");
        var apCell = r.querySelector(".prap");
        if (stepCell) stepCell.textContent = Number(p.getAttribute("data-step")).toLocaleString("en-US");
        if (apCell) apCell.textContent = p.getAttribute("data-ap");
      });
    }
    input.addEventListener("input", show);
  });
})();
