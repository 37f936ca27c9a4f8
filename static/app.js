// Draw every chart from its Vega-Lite description; redraw what htmx swaps in; submit selectors on change.
(function () {
  "use strict";
  function drawCharts(root) {
    root.querySelectorAll(".vega[data-spec]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      // ast: vega-embed evaluates chart expressions with its interpreter, not eval, as our CSP requires.
      window.vegaEmbed(el, el.dataset.spec, {
        renderer: "svg",
        actions: false,
        ast: true,
      }).catch(function (error) {
        el.textContent = "The chart could not be drawn: " + error;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form.selectors");
    if (form) form.requestSubmit();
  });
})();
// Slides: arrow keys and Page Up/Down move one screen.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (!document.body.classList.contains("slides")) return;
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
