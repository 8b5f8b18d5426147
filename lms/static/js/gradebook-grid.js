/* The subject grid of the gradebook (gradebook/subject.html): each cell is saved on its own
 * as soon as it changes, through PUT /api/v1/gradebook/{class}/{subject}/{student}, with the
 * row's version — a cell someone else changed meanwhile comes back 409 "stale" and nothing is
 * overwritten. The server's message is shown next to the cell. The form still posts whole
 * ("Lưu tất cả") without this script. No HTML is built from user text.
 */
(function () {
  "use strict";
  var form = document.getElementById("gradebook-grid");
  if (!form) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var status = form.querySelector("[data-grid-status]");
  var api = form.getAttribute("data-api");
  var term = parseInt(form.getAttribute("data-term"), 10);

  function say(key) {
    if (status) { status.textContent = form.getAttribute("data-" + key) || ""; }
  }

  function value(input) {
    var text = input.value.trim();
    return text === "" ? null : text;
  }

  function body(row, input) {
    var field = input.getAttribute("data-field");
    var data = {term: term, version: parseInt(row.getAttribute("data-version"), 10)};
    if (field.indexOf("regular.") === 0) {
      data.regular = Array.prototype.map.call(
        row.querySelectorAll('input[data-field^="regular."]'), value);
    } else {
      data[field] = value(input);
    }
    return data;
  }

  function mark(input, message) {
    input.classList.toggle("is-invalid", Boolean(message));
    var feedback = input.parentNode.querySelector(".invalid-feedback");
    if (feedback) { feedback.textContent = message || ""; }
  }

  function shown(text) {
    return text && /^[0-9]/.test(text) ? text.replace(".", ",") : (text || "");
  }

  function saved(row, data) {
    row.setAttribute("data-version", data.version);
    var hidden = row.querySelector('input[name^="v"]');
    if (hidden) { hidden.value = data.version; }
    row.querySelector("[data-average]").textContent =
      shown(data.term_average) || data.term_result || "";
    row.querySelectorAll("input.gb-cell").forEach(function (cell) { mark(cell, ""); });
  }

  function failed(row, input, error) {
    var fields = (error.details && error.details.fields) || {};
    var named = false;
    Object.keys(fields).forEach(function (field) {
      var cell = row.querySelector('input[data-field="' + field + '"]');
      if (cell) { mark(cell, fields[field].join(" ")); named = true; }
    });
    if (!named) { mark(input, error.message); }
  }

  function save(input) {
    var row = input.closest("tr[data-student]");
    say("saving");
    fetch(api + row.getAttribute("data-student"), {
      method: "PUT", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": token},
      body: JSON.stringify(body(row, input))
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) { saved(row, data); say("saved"); return; }
        failed(row, input, data.error || {});
        say("failed");
      });
    }).catch(function () { mark(input, form.getAttribute("data-failed")); say("failed"); });
  }

  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("gb-cell")) { save(event.target); }
  });
  form.addEventListener("keydown", function (event) {
    // Enter moves down the column, as in a spreadsheet, instead of posting the whole form.
    if (event.key !== "Enter" || !event.target.classList.contains("gb-cell")) { return; }
    event.preventDefault();
    var field = event.target.getAttribute("data-field");
    var next = event.target.closest("tr").nextElementSibling;
    var below = next && next.querySelector('input[data-field="' + field + '"]');
    if (below) { below.focus(); below.select(); } else { event.target.blur(); }
  });
})();
