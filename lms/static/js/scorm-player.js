/* SCORM player (lessons/player.html).
 *
 * Hosts scorm-again's runtime (Scorm12API or Scorm2004API) on this logged-in page, seeded with
 * the learner's saved suspend data and location so a reload resumes. The frame's URL is set
 * only once the runtime listens. The package runs in a
 * sandboxed frame (opaque origin) whose injected CrossFrameAPI reaches this runtime through
 * CrossFrameLMS (postMessage). Commits go to POST /api/v1/lessons/<id>/scorm/commit with the
 * session cookie and the CSRF header; the server validates every value.
 *
 * Only the content frame may talk to the runtime (security.md 39). CrossFrameLMS cannot be
 * told so itself: the sandboxed frame's origin is "null", which postMessage cannot target, so
 * it runs with "*" and would answer any window — a page on another origin that opens this
 * player could read the learner's name and commit "passed". A gate registered before it
 * therefore stops every message that does not come from the content frame's window with the
 * frame's origin ("null" while sandboxed); the runtime then answers only the window that
 * asked, which is that frame.
 */
(function () {
  "use strict";

  var root = document.getElementById("scorm-player");
  if (!root) { return; }
  var version = root.getAttribute("data-version");
  var sco = root.getAttribute("data-sco");
  var saved = JSON.parse(root.getAttribute("data-saved"));
  var learner = JSON.parse(root.getAttribute("data-learner"));
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var status = document.getElementById("scorm-status");

  var settings = {
    autocommit: true,
    autocommitSeconds: 30,
    lmsCommitUrl: root.getAttribute("data-commit-url"),
    dataCommitFormat: "json",
    xhrHeaders: { "X-CSRFToken": csrf },
    xhrWithCredentials: true,
    fetchMode: "same-origin",
    logLevel: 4,
    requestHandler: function (commit) {
      return { sco: sco, cmi: commit.cmi || commit };
    },
    responseHandler: function (response) {
      var ok = response.status >= 200 && response.status < 300;
      status.textContent = ok ? "" : "Không lưu được tiến độ (mã " + response.status + ").";
      return Promise.resolve({ result: ok ? "true" : "false", errorCode: ok ? 0 : 101 });
    }
  };

  var api;
  var resume = saved.suspend_data || saved.location;
  if (version === "1.2") {
    api = new window.Scorm12API(settings);
    api.loadFromJSON({
      core: {
        student_id: learner.id, student_name: learner.name,
        lesson_location: saved.location, entry: resume ? "resume" : "ab-initio"
      },
      suspend_data: saved.suspend_data
    }, "");
    window.API = api;
  } else {
    api = new window.Scorm2004API(settings);
    api.loadFromJSON({
      learner_id: learner.id, learner_name: learner.name,
      location: saved.location, entry: resume ? "resume" : "ab-initio",
      suspend_data: saved.suspend_data
    }, "");
    window.API_1484_11 = api;
  }
  var frame = document.getElementById("scorm-frame");
  var contentOrigin = new URL(frame.getAttribute("data-src"), window.location.href).origin;

  // Registered before CrossFrameLMS adds its own listener, so it runs first and can stop the
  // event before the runtime sees it.
  window.addEventListener("message", function (event) {
    var fromContent = event.source !== null && event.source === frame.contentWindow &&
      (event.origin === "null" || event.origin === contentOrigin);
    if (!fromContent) { event.stopImmediatePropagation(); }
  });
  new window.CrossFrameLMS(api, "*");
  // Only now open the package: its injected CrossFrameAPI talks to the listener set up above
  // from its first line, and a message sent before it existed would be lost.
  frame.src = frame.getAttribute("data-src");
})();
