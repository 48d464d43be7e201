// Images: a slider over the steps of a gallery, and a full-size view on click.
(function () {
  "use strict";

  // ------------------------------------------------------------ image galleries
  Array.prototype.forEach.call(document.querySelectorAll(".gallery.multi"), function (gallery) {
    var frames = gallery.querySelectorAll(".frame");
    var input = gallery.querySelector(".slider input");
    var output = gallery.querySelector(".slider output");
    if (!input || !frames.length) return;
    function show() {
      // the slider runs first step -> last step; frames are stored last step first
      var i = frames.length - 1 - parseInt(input.value, 10);
      Array.prototype.forEach.call(frames, function (f, j) { f.classList.toggle("current", j === i); });
      if (output) output.textContent = frames[i].getAttribute("data-step");
    }
    input.addEventListener("input", show);
    gallery.addEventListener("keydown", function (e) {
      if (e.target === input) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        input.value = String(parseInt(input.value, 10) + (e.key === "ArrowRight" ? 1 : -1));
        show();
      }
    });
    show();
  });

  // ------------------------------------------------------------ full-size view
  if (typeof HTMLDialogElement === "function") {
    var dialog = document.createElement("dialog");
    dialog.className = "zoom";
    var big = document.createElement("img");
    big.alt = "";
    var caption = document.createElement("p");
    dialog.appendChild(big);
    dialog.appendChild(caption);
    document.body.appendChild(dialog);
    dialog.addEventListener("click", function () { dialog.close(); });
    document.addEventListener("click", function (e) {
      var img = e.target;
      if (!img || img.tagName !== "IMG" || !img.closest || !img.closest(".frame")) return;
      big.src = img.src;
      var w = parseInt(img.getAttribute("data-w") || "0", 10);
      var h = parseInt(img.getAttribute("data-h") || "0", 10);
      caption.textContent = img.alt + (w ? " (" + w + "×" + h + " px)" : "");
      dialog.showModal();
    });
  }
})();
