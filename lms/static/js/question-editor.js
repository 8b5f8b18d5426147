/* The question editor: a form for each question type that keeps one payload object
 * (docs/question-payloads.md), writes it to the hidden #payload-field on submit, and asks the
 * server for a live preview (POST /questions/preview) as the teacher types.
 * Labels come translated from the page (#editor-labels). No library, no build step. */
(function () {
  "use strict";

  const root = document.getElementById("question-editor");
  if (!root) return;
  const form = root.closest("form");
  const field = document.getElementById("payload-field");
  const rawField = document.getElementById("payload-raw");
  const previewBox = document.getElementById("question-preview");
  const problemsBox = document.getElementById("preview-problems");
  const L = JSON.parse(document.getElementById("editor-labels").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let payload = JSON.parse(field.value);
  let timer = null;
  let lastTextarea = null;

  // ------------------------------------------------------------ small DOM helpers

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
    });
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  function changed() {
    rawField.value = JSON.stringify(payload, null, 2);
    clearTimeout(timer);
    timer = setTimeout(preview, 400);
  }

  function text(obj, key, label, opts) {
    opts = opts || {};
    const id = "f" + Math.random().toString(36).slice(2, 9);
    const input = opts.rows
      ? el("textarea", {class: "form-control form-control-sm", rows: opts.rows, id: id})
      : el("input", {class: "form-control form-control-sm", id: id, inputmode: opts.inputmode,
                     placeholder: opts.placeholder || ""});
    input.value = obj[key] === undefined || obj[key] === null ? "" : String(obj[key]);
    input.addEventListener("input", () => { obj[key] = input.value; changed(); });
    if (opts.rows) input.addEventListener("focus", () => { lastTextarea = input; });
    const wrap = el("div", {class: opts.inline ? "flex-grow-1" : "mb-2"}, [
      label ? el("label", {class: "form-label small mb-0", for: id, text: label}) : null, input]);
    if (opts.rows && opts.media !== false) {
      wrap.appendChild(el("button", {type: "button", class: "btn btn-link btn-sm p-0",
        text: L.insert_media, onclick: () => { lastTextarea = input; pickMedia(); }}));
    }
    return wrap;
  }

  function check(obj, key, label, onChange) {
    const id = "c" + Math.random().toString(36).slice(2, 9);
    const box = el("input", {type: "checkbox", class: "form-check-input", id: id});
    box.checked = !!obj[key];
    box.addEventListener("change", () => { obj[key] = box.checked; (onChange || changed)(); });
    return el("div", {class: "form-check form-check-inline"}, [
      box, el("label", {class: "form-check-label small", for: id, text: label})]);
  }

  function trueFalse(obj, key) {
    const select = el("select", {class: "form-select form-select-sm w-auto", "aria-label": L.answer}, [
      el("option", {value: "true", text: L.true}), el("option", {value: "false", text: L.false})]);
    select.value = obj[key] ? "true" : "false";
    select.addEventListener("change", () => { obj[key] = select.value === "true"; changed(); });
    return select;
  }

  /* An editable list: rows with move up/down and remove, and an "add" button. */
  function list(title, items, makeRow, makeNew, limits) {
    limits = limits || {};
    const box = el("fieldset", {class: "border rounded p-2 mb-2"}, [
      el("legend", {class: "fs-6 float-none w-auto px-1 mb-0", text: title})]);
    const rows = el("div");
    box.appendChild(rows);
    function draw() {
      rows.innerHTML = "";
      items.forEach((item, index) => {
        const tools = el("div", {class: "btn-group btn-group-sm ms-1 align-self-start"}, [
          el("button", {type: "button", class: "btn btn-outline-secondary", title: L.up, "aria-label": L.up,
            text: "↑", disabled: index === 0, onclick: () => { move(index, -1); }}),
          el("button", {type: "button", class: "btn btn-outline-secondary", title: L.down, "aria-label": L.down,
            text: "↓", disabled: index === items.length - 1, onclick: () => { move(index, 1); }}),
          el("button", {type: "button", class: "btn btn-outline-danger", title: L.remove, "aria-label": L.remove,
            text: "×", disabled: items.length <= (limits.min || 0),
            onclick: () => { items.splice(index, 1); draw(); changed(); }}),
        ]);
        rows.appendChild(el("div", {class: "d-flex gap-1 align-items-start mb-1"}, [
          el("div", {class: "flex-grow-1"}, [makeRow(item, index, draw)]), tools]));
      });
    }
    function move(index, step) {
      const [item] = items.splice(index, 1);
      items.splice(index + step, 0, item);
      draw(); changed();
    }
    box.appendChild(el("button", {type: "button", class: "btn btn-sm btn-outline-primary",
      text: L.add, onclick: () => {
        if (limits.max && items.length >= limits.max) return;
        items.push(makeNew(items)); draw(); changed();
      }}));
    draw();
    return box;
  }

  function nextId(items, pool) {
    const used = new Set(items.map((item) => item.id));
    for (const id of pool) if (!used.has(id)) return id;
    let n = items.length + 1;
    while (used.has(String(n))) n += 1;
    return String(n);
  }
  const LETTERS = "abcdefgh".split("");
  const NUMBERS = Array.from({length: 50}, (_, i) => String(i + 1));

  // ------------------------------------------------------------ one editor per type

  function choices(p, single) {
    p.options = p.options || [];
    return list(L.options, p.options, (option, index, redraw) => {
      const mark = el("input", {type: single ? "radio" : "checkbox", class: "form-check-input mt-2",
        name: single ? "correct-" + p.__uid : null, title: L.correct, "aria-label": L.correct});
      mark.checked = !!option.correct;
      mark.addEventListener("change", () => {
        if (single) p.options.forEach((o) => { o.correct = o === option; });
        else option.correct = mark.checked;
        redraw(); changed();
      });
      return el("div", {class: "d-flex gap-2"}, [
        el("span", {class: "fw-bold mt-1", text: String.fromCharCode(65 + index) + "."}), mark,
        text(option, "text_html", null, {inline: true, placeholder: L.option_text})]);
    }, (items) => ({id: nextId(items, LETTERS), text_html: "", correct: false}), {min: 2, max: 8});
  }

  function answersList(p, numeric) {
    p.answers = p.answers || [];
    return list(L.answers, p.answers, (answer) => el("div", {class: "d-flex gap-2 flex-wrap"}, numeric ? [
      text(answer, "value", null, {inline: true, placeholder: L.value, inputmode: "decimal"}),
      text(answer, "tolerance", null, {inline: true, placeholder: L.tolerance, inputmode: "decimal"}),
      text(answer, "fraction", null, {inline: true, placeholder: L.fraction, inputmode: "decimal"}),
    ] : [
      text(answer, "text", null, {inline: true, placeholder: L.accepted}),
      text(answer, "fraction", null, {inline: true, placeholder: L.fraction, inputmode: "decimal"}),
    ]), () => (numeric ? {value: "", tolerance: "0", fraction: "1"} : {text: "", fraction: "1"}), {min: 1});
  }

  function gapEditor(gap, textArea) {
    const kind = el("select", {class: "form-select form-select-sm w-auto", "aria-label": L.gap_kind},
      ["text", "numeric", "dropdown"].map((k) => el("option", {value: k, text: L["gap_" + k]})));
    kind.value = gap.kind || "text";
    const body = el("div");
    function drawBody() {
      body.innerHTML = "";
      if (gap.kind === "dropdown") {
        gap.options = gap.options || [];
        body.appendChild(list(L.options, gap.options, (option, index, redraw) => {
          const mark = el("input", {type: "radio", class: "form-check-input mt-2", name: "gap-" + gap.id,
            title: L.correct, "aria-label": L.correct});
          mark.checked = !!option.correct;
          mark.addEventListener("change", () => {
            gap.options.forEach((o) => { o.correct = o === option; }); redraw(); changed();
          });
          return el("div", {class: "d-flex gap-2"}, [mark, text(option, "text", null, {inline: true})]);
        }, (items) => ({id: nextId(items, LETTERS), text: "", correct: items.length === 0}), {min: 2}));
      } else {
        body.appendChild(answersList(gap, gap.kind === "numeric"));
      }
    }
    kind.addEventListener("change", () => {
      gap.kind = kind.value;
      delete gap.answers; delete gap.options;
      if (gap.kind === "dropdown") gap.options = [{id: "a", text: "", correct: true}, {id: "b", text: "", correct: false}];
      else if (gap.kind === "numeric") gap.answers = [{value: "", tolerance: "0", fraction: "1"}];
      else gap.answers = [{text: "", fraction: "1"}];
      drawBody(); changed();
    });
    drawBody();
    return el("div", {class: "border-start ps-2"}, [
      el("div", {class: "d-flex gap-2 align-items-center mb-1"}, [
        el("code", {text: "[[" + gap.id + "]]"}),
        el("button", {type: "button", class: "btn btn-link btn-sm p-0", text: L.insert_gap,
          onclick: () => insertAtCursor(textArea(), "[[" + gap.id + "]]")}),
        kind, text(gap, "points", null, {inline: true, placeholder: L.points, inputmode: "decimal"})]),
      body]);
  }

  const EDITORS = {
    single_choice: (p) => [choices(p, true), check(p, "shuffle", L.shuffle)],
    multiple_response: (p) => [choices(p, false), check(p, "shuffle", L.shuffle)],
    true_false: (p) => [el("div", {class: "mb-2 d-flex gap-2 align-items-center"}, [
      el("span", {class: "small", text: L.answer}), trueFalse(p, "answer")])],
    true_false_4: (p) => p.statements.map((statement) => el("div", {class: "d-flex gap-2 mb-1"}, [
      el("span", {class: "fw-bold mt-1", text: statement.id + ")"}),
      text(statement, "text_html", null, {inline: true, placeholder: L.statement}),
      trueFalse(statement, "answer")])),
    short_text: (p) => [answersList(p, false), check(p, "case_sensitive", L.case_sensitive),
      check(p, "ignore_diacritics", L.ignore_diacritics)],
    short_numeric: (p) => [answersList(p, true), check(p, "format_2025", L.format_2025)],
    matching: (p) => {
      p.distractors = p.distractors || [];
      const wrapped = p.distractors.map((value) => ({value: value}));
      const sync = () => { p.distractors = wrapped.map((w) => w.value); };
      const distractors = list(L.distractors, wrapped, (item) => {
        const input = text(item, "value", null, {inline: true});
        input.addEventListener("input", sync);
        return input;
      }, () => ({value: ""}));
      distractors.addEventListener("click", () => setTimeout(() => { sync(); changed(); }));
      return [list(L.pairs, p.pairs, (pair) => el("div", {class: "d-flex gap-2"}, [
        text(pair, "left_html", null, {inline: true, placeholder: L.left}),
        el("span", {class: "mt-1", text: "→"}),
        text(pair, "right_html", null, {inline: true, placeholder: L.right})]),
      (items) => ({id: nextId(items, NUMBERS), left_html: "", right_html: ""}), {min: 2}), distractors];
    },
    ordering: (p) => [el("p", {class: "small text-muted mb-1", text: L.ordering_hint}),
      list(L.items, p.items, (item) => text(item, "text_html", null, {inline: true}),
        (items) => ({id: nextId(items, NUMBERS), text_html: ""}), {min: 2})],
    cloze: (p, box) => {
      const area = () => box.querySelector("textarea");
      return [el("p", {class: "small text-muted mb-1", text: L.cloze_hint}),
        list(L.gaps, p.gaps, (gap) => gapEditor(gap, area),
          (items) => ({id: nextId(items, NUMBERS.map((n) => "g" + n)), kind: "text", points: "1",
                       answers: [{text: "", fraction: "1"}]}), {min: 1})];
    },
    essay: (p) => [list(L.rubric, p.rubric = p.rubric || [], (row) => el("div", {class: "d-flex gap-2"}, [
        text(row, "criterion", null, {inline: true, placeholder: L.criterion}),
        text(row, "points", null, {inline: true, placeholder: L.points, inputmode: "decimal"})]),
      () => ({criterion: "", points: "1"})),
      el("div", {class: "d-flex gap-2"}, [
        text(p, "min_words", L.min_words, {inline: true, inputmode: "numeric"}),
        text(p, "max_words", L.max_words, {inline: true, inputmode: "numeric"})]),
      text(p, "reference_html", L.reference, {rows: 3})],
    stimulus: (p) => {
      const box = el("div");
      p.children = p.children || [];
      p.children.forEach((child, index) => {
        const card = el("div", {class: "card card-body mb-2"}, [
          el("div", {class: "d-flex justify-content-between"}, [
            el("strong", {class: "small", text: L.child + " " + (index + 1) + " · " + (L.types[child.type] || child.type)}),
            el("button", {type: "button", class: "btn btn-sm btn-outline-danger", text: L.remove,
              onclick: () => { p.children.splice(index, 1); draw(); changed(); }})])]);
        const inner = el("div");
        editQuestion(child, inner, false);
        card.appendChild(inner);
        box.appendChild(card);
      });
      const pick = el("select", {class: "form-select form-select-sm w-auto", "aria-label": L.child_type},
        Object.keys(L.blanks).filter((t) => t !== "stimulus").map((t) => el("option", {value: t, text: L.types[t] || t})));
      box.appendChild(el("div", {class: "d-flex gap-2"}, [pick, el("button", {type: "button",
        class: "btn btn-sm btn-outline-primary", text: L.add_child, onclick: () => {
          p.children.push(JSON.parse(JSON.stringify(L.blanks[pick.value]))); draw(); changed();
        }})]));
      return [box];
    },
    description: () => [],
  };

  function editQuestion(p, box, top) {
    p.__uid = p.__uid || Math.random().toString(36).slice(2, 9);
    box.appendChild(text(p, "text_html", p.type === "cloze" ? L.cloze_text : L.text, {rows: 4}));
    (EDITORS[p.type] || (() => []))(p, box).forEach((node) => box.appendChild(node));
    if (p.type === "true_false") {
      box.appendChild(text(p, "feedback_true_html", L.feedback_true, {rows: 2}));
      box.appendChild(text(p, "feedback_false_html", L.feedback_false, {rows: 2}));
    }
    if (p.type !== "description" && p.type !== "stimulus") {
      const more = el("details", {class: "mb-2", open: top && (p.feedback_html || p.solution_html) ? "" : null}, [
        el("summary", {class: "small", text: L.feedback_and_solution}),
        text(p, "feedback_html", L.feedback, {rows: 2}),
        text(p, "solution_html", L.solution, {rows: 3})]);
      box.appendChild(more);
    }
  }

  function draw() {
    root.innerHTML = "";
    editQuestion(payload, root, true);
  }

  // ------------------------------------------------------------ media, preview, submit

  function insertAtCursor(area, snippet) {
    if (!area) return;
    const start = area.selectionStart || area.value.length;
    area.value = area.value.slice(0, start) + snippet + area.value.slice(area.selectionEnd || start);
    area.dispatchEvent(new Event("input"));
    area.focus();
  }

  function pickMedia() {
    const input = el("input", {type: "file", accept: "image/*,audio/*"});
    input.addEventListener("change", async () => {
      if (!input.files.length) return;
      const body = new FormData();
      body.append("file", input.files[0]);
      const response = await fetch(root.dataset.mediaUrl, {method: "POST", body: body,
        headers: {"X-CSRFToken": csrf, "Accept": "application/json"}, credentials: "same-origin"});
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { showProblems((data.error && data.error.message) || L.upload_failed, []); return; }
      insertAtCursor(lastTextarea, data.kind === "audio"
        ? '<audio controls src="' + data.url + '"></audio>' : '<img src="' + data.url + '" alt="">');
    });
    input.click();
  }

  function clean(value) {
    return JSON.parse(JSON.stringify(value, (key, v) => (key === "__uid" ? undefined : v)));
  }

  function showProblems(message, problems) {
    problemsBox.innerHTML = "";
    if (!message) { problemsBox.hidden = true; return; }
    problemsBox.hidden = false;
    problemsBox.appendChild(el("div", {class: "fw-semibold", text: message}));
    const ul = el("ul", {class: "mb-0"});
    problems.forEach((p) => ul.appendChild(el("li", {text: (p.path ? p.path + ": " : "") + p.message})));
    problemsBox.appendChild(ul);
  }

  async function preview() {
    try {
      const response = await fetch(root.dataset.previewUrl, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({payload: clean(payload)})});
      const data = await response.json();
      if (data.ok) {
        previewBox.innerHTML = data.html;  // rendered and sanitised by the server
        showProblems(null);
      } else {
        showProblems(data.message, data.problems || []);
      }
    } catch (error) {
      showProblems(L.preview_offline, []);
    }
  }

  rawField.addEventListener("change", () => {
    try {
      payload = JSON.parse(rawField.value);
      draw(); changed();
    } catch (error) {
      showProblems(L.bad_json, []);
    }
  });
  /* Only the topics of the chosen subject and grade are offered. */
  function filterTopics() {
    const subject = document.getElementById("subject");
    const grade = document.getElementById("grade");
    const topics = document.getElementById("topic_id");
    if (!subject || !grade || !topics) return;
    const ids = JSON.parse(topics.dataset.subjectIds || "{}");
    Array.from(topics.options).forEach((option) => {
      if (!option.dataset.subject) return;
      option.hidden = option.dataset.subject !== String(ids[subject.value]) || option.dataset.grade !== grade.value;
      if (option.hidden && option.selected) topics.value = "";
    });
  }
  ["subject", "grade"].forEach((id) => {
    const select = document.getElementById(id);
    if (select) select.addEventListener("change", filterTopics);
  });
  filterTopics();
  form.addEventListener("submit", () => { field.value = JSON.stringify(clean(payload)); });
  draw();
  rawField.value = JSON.stringify(clean(payload), null, 2);
  preview();
})();
