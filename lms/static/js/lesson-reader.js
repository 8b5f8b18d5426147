/* Authored lesson reader (lessons/reader.html): tells the server that this page was opened and
 * that an embedded video was watched to (nearly) the end. Both are POSTs with the CSRF header;
 * opening a page (GET) changes nothing on the server by itself. */
(function () {
  "use strict";
  var reader = document.getElementById("lesson-reader");
  if (!reader) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function post(url) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"X-CSRFToken": token, "Accept": "application/json"}});
  }

  function showProgress(progress) {
    var box = document.getElementById("lesson-progress");
    if (!box || !progress) { return; }
    var percent = Math.round(progress.completion * 100);
    var bar = box.querySelector(".lesson-progress-bar");
    bar.style.width = percent + "%";
    box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", String(percent));
    var viewed = box.querySelector('[data-field="pages_viewed"]');
    if (viewed) { viewed.textContent = String(progress.pages_viewed); }
    box.querySelector('[data-field="completed"]').hidden = progress.status !== "completed";
  }

  var box = document.getElementById("lesson-progress");
  if (box) {
    box.querySelector(".lesson-progress-bar").style.width =
      box.querySelector(".lesson-progress-bar").getAttribute("data-percent") + "%";
  }

  var viewedUrl = reader.getAttribute("data-viewed-url");
  if (viewedUrl) {
    post(viewedUrl).then(function (response) {
      if (!response.ok) { return; }
      return response.json().then(showProgress);
    }).catch(function () { /* offline: the next page view records it */ });
  }

  Array.prototype.forEach.call(document.querySelectorAll("video[data-watched-url]"), function (video) {
    var sent = false;
    function check() {
      if (sent || !video.duration) { return; }
      if (video.ended || video.currentTime >= video.duration * 0.9) {
        sent = true;
        post(video.getAttribute("data-watched-url")).catch(function () { sent = false; });
      }
    }
    video.addEventListener("timeupdate", check);
    video.addEventListener("ended", check);
  });
})();
