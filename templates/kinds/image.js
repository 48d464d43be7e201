// Images: a slider over the steps of a gallery under a first / middle / last
// filmstrip, and a full-size view on click.
(function () {
  "use strict";

  // ------------------------------------------------------------ image galleries
  // A thumbnail of a frame's first picture at most `room` x 56 px, keeping the shape it
  // is drawn with (a strip stays a strip, at least 12 px across).
  function thumb(frame, room) {
    var img = frame.querySelector("img");
    var t = document.createElement("img");
    t.src = img.src;  // the same data URI: no bytes added to the page
    t.alt = "";
    // the drawn size, from the picture's CSS variables (a hidden frame has no layout)
    var phone = window.matchMedia && window.matchMedia("(max-width: 540px)").matches;
    var w = parseFloat(img.style.getPropertyValue(phone ? "--wp" : "--w"));
    var ar = (img.style.getPropertyValue(phone ? "--arp" : "--ar") || "").split("/");
    var h = ar.length === 2 ? w * parseFloat(ar[1]) / parseFloat(ar[0]) : NaN;
    if (!(w > 0 && h > 0)) {
      w = parseInt(img.getAttribute("data-w") || "56", 10);
      h = parseInt(img.getAttribute("data-h") || "56", 10);
    }
    var f = Math.min(1, 56 / h, room / w);
    t.style.width = Math.max(12, Math.round(w * f)) + "px";
    t.style.height = Math.max(12, Math.round(h * f)) + "px";
    if (img.classList.contains("px") || img.classList.contains("pxp")) t.style.imageRendering = "pixelated";
    return t;
  }

  Array.prototype.forEach.call(document.querySelectorAll(".gallery.multi"), function (gallery) {
    var frames = gallery.querySelectorAll(".frame");
    var input = gallery.querySelector(".slider input");
    var output = gallery.querySelector(".slider output");
    var strip = gallery.querySelector(".filmstrip");
    if (!input || !frames.length) return;
    var n = frames.length;
    // slider positions of the first, middle and last step (frames are stored last step first)
    var picks = n >= 3 ? [0, Math.floor((n - 1) / 2), n - 1] : [0, n - 1];
    var buttons = [];
    function show() {
      var pos = parseInt(input.value, 10);
      var i = n - 1 - pos;
      Array.prototype.forEach.call(frames, function (f, j) { f.classList.toggle("current", j === i); });
      if (output) output.textContent = frames[i].getAttribute("data-step");
      buttons.forEach(function (b) { b.setAttribute("aria-current", String(b._pos === pos)); });
    }
    if (strip) {
      // three thumbnails side by side in the card (each button has ~14 px of padding and gap)
      var room = Math.max(24, Math.min(150, Math.floor((gallery.clientWidth - 30) / picks.length) - 16));
      picks.forEach(function (pos) {
        var frame = frames[n - 1 - pos];
        var b = document.createElement("button");
        b.type = "button";
        b._pos = pos;
        b.appendChild(thumb(frame, room));
        var label = document.createElement("span");
        label.textContent = "step " + frame.getAttribute("data-step");
        b.appendChild(label);
        b.addEventListener("click", function () { input.value = String(pos); show(); });
        strip.appendChild(b);
        buttons.push(b);
      });
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
