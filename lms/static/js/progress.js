/* Progress bars of background jobs (macros/progress.html).
 *
 * Every [data-task-progress] element polls its data-task-url (GET /api/v1/tasks/<id>, the
 * session cookie sent same-origin) and shows progress, state and the job's message. While the
 * network or the server is down it retries with exponential backoff (1 s … 30 s) and retries at
 * once when the browser comes back online. It stops when the job succeeded or failed, and
 * fires a bubbling "task:succeeded" / "task:failed" event with the task JSON as detail.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var HIDDEN_POLL_MS = 5000;
  var MAX_BACKOFF_MS = 30000;
  var FINAL = { succeeded: "bg-success", failed: "bg-danger" };

  function TaskProgress(root) {
    this.root = root;
    this.url = root.getAttribute("data-task-url");
    this.track = root.querySelector("[role=progressbar]");
    this.bar = root.querySelector("[data-task-bar]");
    this.message = root.querySelector("[data-task-message]");
    this.backoff = POLL_MS;
    this.timer = null;
    this.done = false;
    var self = this;
    window.addEventListener("online", function () { self.now(); });
  }

  TaskProgress.prototype.text = function (name) {
    return this.root.getAttribute("data-msg-" + name) || "";
  };

  TaskProgress.prototype.schedule = function (ms) {
    var self = this;
    clearTimeout(this.timer);
    if (!this.done) { this.timer = setTimeout(function () { self.poll(); }, ms); }
  };

  TaskProgress.prototype.now = function () {
    this.backoff = POLL_MS;
    this.schedule(0);
  };

  TaskProgress.prototype.poll = function () {
    var self = this;
    if (navigator.onLine === false) { return this.offline(); }
    fetch(this.url, { credentials: "same-origin", cache: "no-store",
                      headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) { return self.show(body); }
          if (response.status >= 500 || response.status === 429) { return self.offline(); }
          return self.stop(body.error && body.error.message ? body.error.message
                                                            : self.text("error"));
        });
      })
      .catch(function () { self.offline(); });
  };

  TaskProgress.prototype.show = function (task) {
    var value = Math.max(0, Math.min(100, parseInt(task.progress, 10) || 0));
    this.backoff = POLL_MS;
    this.root.setAttribute("data-state", task.state);
    this.bar.style.width = value + "%";
    this.bar.textContent = value + "%";
    this.track.setAttribute("aria-valuenow", String(value));
    this.track.setAttribute("aria-valuetext", value + "% " + (task.message || ""));
    this.message.classList.remove("text-danger");
    this.message.textContent = task.message || "";
    if (FINAL[task.state]) { return this.finish(task); }
    this.schedule(document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  };

  TaskProgress.prototype.finish = function (task) {
    this.done = true;
    this.bar.classList.remove("progress-bar-animated", "progress-bar-striped");
    this.bar.classList.add(FINAL[task.state]);
    if (!task.message) { this.message.textContent = this.text(task.state); }
    this.root.dispatchEvent(new CustomEvent("task:" + task.state,
                                            { bubbles: true, detail: task }));
  };

  TaskProgress.prototype.offline = function () {
    this.root.setAttribute("data-state", "offline");
    this.message.textContent = this.text("offline");
    this.schedule(this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  };

  TaskProgress.prototype.stop = function (text) {
    this.done = true;
    this.root.setAttribute("data-state", "error");
    this.bar.classList.remove("progress-bar-animated");
    this.message.classList.add("text-danger");
    this.message.textContent = text;
  };

  function start() {
    var nodes = document.querySelectorAll("[data-task-progress]");
    for (var i = 0; i < nodes.length; i += 1) { new TaskProgress(nodes[i]).now(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
