/* Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can forbid
 * inline script and style attributes (docs/deployment.md, "Security headers"):
 *   <form data-confirm="Question?">   asks before submitting (Cancel keeps the page);
 *   <button data-print>               prints the page;
 *   data-width-percent / data-height-percent="42.5"   sizes a bar (set through the CSSOM,
 *                                     which the policy allows, unlike style="" attributes). */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });

  function percent(value) {
    var number = parseFloat(value);
    return isFinite(number) ? Math.min(Math.max(number, 0), 100) + "%" : null;
  }

  function applySizes(root) {
    root.querySelectorAll("[data-width-percent]").forEach(function (node) {
      var width = percent(node.getAttribute("data-width-percent"));
      if (width !== null) { node.style.width = width; }
    });
    root.querySelectorAll("[data-height-percent]").forEach(function (node) {
      var height = percent(node.getAttribute("data-height-percent"));
      if (height !== null) { node.style.height = height; }
    });
  }

  applySizes(document);
})();
