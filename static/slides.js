// Slides: arrow keys, Page Up/Down and space move one slide. Inlined in the downloaded deck.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
    var current = slides.findIndex(function (s) { return s.getBoundingClientRect().top >= -5; });
    if (current < 0) current = slides.length - 1;
    var next = null;
    if (["ArrowRight", "ArrowDown", "PageDown", " "].indexOf(event.key) >= 0) next = Math.min(current + 1, slides.length - 1);
    if (["ArrowLeft", "ArrowUp", "PageUp"].indexOf(event.key) >= 0) next = Math.max(current - 1, 0);
    if (next === null) return;
    event.preventDefault();
    slides[next].scrollIntoView({ behavior: "instant", block: "start" });
  });
})();
