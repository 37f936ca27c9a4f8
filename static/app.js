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
