/* Tabs of a test's teacher pages (exams/teacher/_header.html).
 *
 * On a phone the tab bar is one line that scrolls sideways (app.css .exam-tabs); this centres
 * the active tab in it so the page the teacher is on is visible without scrolling. On a wide
 * screen the bar does not overflow and nothing moves.
 */
(function () {
  "use strict";

  function reveal() {
    var bars = document.querySelectorAll(".exam-tabs");
    for (var i = 0; i < bars.length; i += 1) {
      var bar = bars[i];
      var active = bar.querySelector("[aria-current=page]");
      if (!active || bar.scrollWidth <= bar.clientWidth) { continue; }
      var tab = active.getBoundingClientRect();
      var left = tab.left - bar.getBoundingClientRect().left;
      bar.scrollLeft += left - (bar.clientWidth - tab.width) / 2;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
}());
