/* Page editor of an authored lesson (lessons/page_form.html): a textarea, buttons that insert
 * markers for an uploaded image, a bank question or a video lesson, and a live preview that the
 * server renders (sanitised, math as MathML) — the browser never builds HTML from user text. */
(function () {
  "use strict";
  var root = document.getElementById("lesson-editor");
  if (!root) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var body = document.getElementById("body_html");
  var title = document.getElementById("title");
  var preview = document.getElementById("page-preview");
  var message = document.getElementById("editor-message");
  var checkTypes = (root.getAttribute("data-check-types") || "").split(",");

  function text(id) { return document.getElementById(id).innerHTML.trim(); }

  function insert(snippet) {
    var start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + snippet + body.value.slice(end);
    body.selectionStart = body.selectionEnd = start + snippet.length;
    body.focus();
    schedule();
  }

  function api(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({"X-CSRFToken": token, "Accept": "application/json"},
                                    options.headers || {});
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error((data.error && data.error.message) || response.status); }
        return data;
      });
    });
  }

  var timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(render, 400);
  }

  function render() {
    api(root.getAttribute("data-preview-url"), {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({title: title.value, body_html: body.value})
    }).then(function (data) {
      message.textContent = "";
      preview.innerHTML = data.html;  // server-rendered from sanitised HTML
    }).catch(function (error) {
      message.textContent = text("t-failed") + " " + error.message;
    });
  }

  body.addEventListener("input", schedule);
  title.addEventListener("input", schedule);
  if (body.value) { render(); }

  Array.prototype.forEach.call(document.querySelectorAll("[data-insert-text]"), function (b) {
    b.addEventListener("click", function () { insert(b.getAttribute("data-insert-text")); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-insert-panel]"), function (b) {
    b.addEventListener("click", function () {
      var panel = document.getElementById(b.getAttribute("data-insert-panel"));
      panel.hidden = !panel.hidden;
      if (!panel.hidden && panel.id === "video-panel") { loadVideos(); }
    });
  });

  document.getElementById("insert-image").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    var form = new FormData();
    form.append("file", file);
    api(root.getAttribute("data-image-url"), {method: "POST", body: form})
      .then(function (data) { insert("\n<p>" + data.marker + "</p>\n"); })
      .catch(function (error) { message.textContent = error.message; })
      .then(function () { event.target.value = ""; });
  });

  function results(list, items, label, marker) {
    list.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "list-group-item text-muted";
      none.textContent = text("t-none");
      list.appendChild(none);
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "list-group-item d-flex justify-content-between align-items-center gap-2 px-0";
      var span = document.createElement("span");
      span.textContent = label(item);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-primary flex-shrink-0";
      button.textContent = text("t-insert");
      button.addEventListener("click", function () { insert("\n<p>" + marker(item) + "</p>\n"); });
      li.appendChild(span);
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  function searchQuestions() {
    var q = document.getElementById("question-q").value;
    var url = root.getAttribute("data-questions-url") + "?q=" + encodeURIComponent(q);
    api(url).then(function (data) {
      var usable = data.items.filter(function (i) { return checkTypes.indexOf(i.type) >= 0; });
      results(document.getElementById("question-results"), usable,
              function (i) { return "#" + i.id + " · " + i.text.slice(0, 120); },
              function (i) { return "[[question:" + i.id + "]]"; });
    }).catch(function (error) { message.textContent = error.message; });
  }
  document.getElementById("question-search").addEventListener("click", searchQuestions);
  document.getElementById("question-q").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); searchQuestions(); }
  });

  function loadVideos() {
    api(root.getAttribute("data-videos-url")).then(function (data) {
      var ready = data.items.filter(function (i) { return i.state === "ready"; });
      results(document.getElementById("video-results"), ready,
              function (i) { return "#" + i.id + " · " + i.title; },
              function (i) { return "[[video:" + i.id + "]]"; });
    }).catch(function (error) { message.textContent = error.message; });
  }
})();
