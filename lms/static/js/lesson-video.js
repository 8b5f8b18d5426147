/* Video lesson page (lessons/video.html): when the transcode job succeeds, reload so the
 * player with its renditions replaces the progress bar. */
(function () {
  "use strict";
  var box = document.getElementById("lesson-processing");
  if (!box) { return; }
  box.addEventListener("task:succeeded", function () { window.location.reload(); });
  box.addEventListener("task:failed", function () { window.location.reload(); });
})();
