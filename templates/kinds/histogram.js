// Histograms: the offset / overlay toggle (TensorBoard's "histogram mode"). The page
// draws the offset view; overlay is a class on the section, the rest is CSS.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".hist-mode"), function (group) {
    var section = group.closest("section") || document.body;
    var buttons = group.querySelectorAll("button[data-mode]");
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener("click", function () {
        var overlay = b.getAttribute("data-mode") === "overlay";
        section.classList.toggle("hist-overlay", overlay);
        Array.prototype.forEach.call(buttons, function (o) {
          o.setAttribute("aria-pressed", String(o === b));
        });
      });
    });
  });
})();
