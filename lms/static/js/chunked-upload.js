/* Lesson upload page (lessons/upload.html): send a large file in resumable chunks.
 *
 * 1. POST /api/v1/uploads {filename, size, kind} -> {upload_id, chunk_size, offset}
 * 2. PUT /api/v1/uploads/<id> with Content-Range: bytes first-last/total, one slice of the
 *    file at a time, starting at the offset the server holds. A 409 carries the stored offset
 *    (error.details.offset): continue from there. A network error, 5xx or 429 is retried with
 *    exponential backoff (1 s ... 30 s), asking the server for its offset (HEAD) first.
 * 3. POST /api/v1/lessons {upload_id, kind, metadata} -> the lesson page (transcode progress).
 *
 * The upload id is remembered in localStorage per file (name, size, last modified), so
 * choosing the same file again after a reload resumes instead of starting over.
 * Cookie session + X-CSRFToken header (from <meta name="csrf-token">); no inline script.
 */
(function () {
  "use strict";

  var MAX_BACKOFF_MS = 30000;
  var form = document.getElementById("lesson-upload");
  if (!form) { return; }
  var bar = form.querySelector("[data-upload-bar]");
  var track = bar.parentNode;
  var message = form.querySelector("[data-upload-message]");
  var button = form.querySelector("button[type=submit]");
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

  function text(name) { return form.getAttribute("data-msg-" + name) || ""; }

  function say(value, isError) {
    message.textContent = value;
    message.classList.toggle("text-danger", Boolean(isError));
  }

  function show(done, total) {
    var percent = total ? Math.floor(done * 100 / total) : 0;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    track.setAttribute("aria-valuenow", String(percent));
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function ApiError(status, body) {
    var error = (body && body.error) || {};
    this.status = status;
    this.code = error.code || "";
    this.message = error.message || text("error");
    this.details = error.details || {};
  }

  function retryable(error) {
    return !(error instanceof ApiError) || error.status >= 500 || error.status === 429;
  }

  function call(method, url, body, headers) {
    var options = { method: method, credentials: "same-origin", cache: "no-store",
                    headers: Object.assign({ "X-CSRFToken": csrf, Accept: "application/json" },
                                           headers || {}) };
    if (body !== undefined) { options.body = body; }
    return fetch(url, options).then(function (response) {
      if (method === "HEAD") {
        if (!response.ok) { throw new ApiError(response.status, null); }
        return { offset: parseInt(response.headers.get("Upload-Offset"), 10) || 0 };
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new ApiError(response.status, data); }
        return data;
      });
    });
  }

  function json(method, url, payload) {
    return call(method, url, JSON.stringify(payload), { "Content-Type": "application/json" });
  }

  function fileKey(file, kind) {
    return "hoclieu-upload:" + [kind, file.name, file.size, file.lastModified].join(":");
  }

  function remembered(file, kind) {
    var id = null;
    try { id = window.localStorage.getItem(fileKey(file, kind)); } catch (e) { /* private */ }
    if (!id) { return Promise.resolve(null); }
    return call("GET", uploadUrl(id)).then(function (upload) {
      say(text("resuming"));
      return upload;
    }, function () { return null; });
  }

  function remember(file, kind, id) {
    try {
      if (id) { window.localStorage.setItem(fileKey(file, kind), id); }
      else { window.localStorage.removeItem(fileKey(file, kind)); }
    } catch (e) { /* storage unavailable: resuming after a reload is lost, nothing else */ }
  }

  function uploadUrl(id) { return form.getAttribute("data-uploads-url") + "/" + id; }

  function sendChunk(upload, file, offset) {
    var end = Math.min(offset + upload.chunk_size, file.size);
    return call("PUT", uploadUrl(upload.upload_id), file.slice(offset, end), {
      "Content-Type": "application/octet-stream",
      "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size
    }).then(function (state) { return state.offset; });
  }

  /* Send from `offset` to the end; resolves when the server holds every byte. */
  function sendFrom(upload, file, offset, backoff) {
    show(offset, file.size);
    if (offset >= file.size) { return Promise.resolve(); }
    return sendChunk(upload, file, offset).then(function (next) {
      say(text("uploading"));
      return sendFrom(upload, file, next, 1000);
    }, function (error) {
      if (error instanceof ApiError && error.status === 409 &&
          typeof error.details.offset === "number" && error.code !== "upload_busy") {
        return sendFrom(upload, file, error.details.offset, 1000);
      }
      if (!retryable(error) && !(error instanceof ApiError && error.code === "upload_busy")) {
        throw error;
      }
      say(text("retrying"));
      return sleep(backoff).then(function () {
        return call("HEAD", uploadUrl(upload.upload_id));
      }).then(function (state) {
        return sendFrom(upload, file, state.offset, 1000);
      }, function (headError) {
        if (!retryable(headError)) { throw headError; }
        return sendFrom(upload, file, offset, Math.min(backoff * 2, MAX_BACKOFF_MS));
      });
    });
  }

  function start(file, kind, title) {
    return remembered(file, kind).then(function (upload) {
      if (upload && upload.state !== "consumed") { return upload; }
      return json("POST", form.getAttribute("data-uploads-url"),
                  { filename: file.name, size: file.size, kind: kind });
    }).then(function (upload) {
      remember(file, kind, upload.upload_id);
      return sendFrom(upload, file, upload.offset, 1000).then(function () {
        say(text("creating"));
        return json("POST", form.getAttribute("data-lessons-url"),
                    { upload_id: upload.upload_id, kind: kind, metadata: { title: title } });
      });
    }).then(function (created) {
      remember(file, kind, null);
      var page = form.getAttribute("data-lesson-page").replace(/0$/, String(created.lesson.id));
      window.location.assign(page);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.querySelector("#upload-file").files[0];
    var kind = form.querySelector("#upload-kind").value;
    var title = form.querySelector("#upload-title").value.trim();
    if (!file || !title) { return say(text("choose"), true); }
    button.disabled = true;
    bar.classList.remove("bg-danger");
    say(text("uploading"));
    start(file, kind, title).catch(function (error) {
      button.disabled = false;
      bar.classList.add("bg-danger");
      say(error && error.message ? error.message : text("error"), true);
    });
  });
}());
